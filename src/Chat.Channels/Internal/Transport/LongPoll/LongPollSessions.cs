using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Internal.Transport.LongPoll;

/// <summary>
/// This node's LongPoll sessions, by token. Sessions live in this process only: a poll that
/// reaches another node finds no session there and is answered 410, so several nodes need
/// sticky sessions for LongPoll (docs/operations.md).
/// </summary>
internal sealed class LongPollSessions(ChannelsRuntime runtime, SocketRegistry registry)
{
    private readonly ConcurrentDictionary<string, LongPollSession> _sessions = new(StringComparer.Ordinal);
    private volatile bool _stopping;

    public int Count => _sessions.Count;

    /// <summary>True once the node is stopping: no session may start any more.</summary>
    public bool IsStopping => _stopping || registry.IsShuttingDown;

    public LongPollSession? Find(string? token) =>
        token is not null && _sessions.TryGetValue(token, out var session) && !session.IsClosed ? session : null;

    /// <summary>A new session under a fresh token; its place among the node's sockets is already reserved.</summary>
    public LongPollSession Create() =>
        new(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_'), runtime);

    /// <summary>Runs a session from its connect to its close, then ends its channels and frees its place.</summary>
    public async Task RunAsync(LongPollSession session)
    {
        _sessions[session.Id] = session;
        if (_stopping)
        {
            // Added after CloseAll looked: close it here, or it would hold the stop open.
            session.Close((WebSocketCloseStatus)1012, "server restart");
        }

        ChannelsMetrics.Connects.Add(1, ChannelsMetrics.Transport(ChannelsMetrics.LongPoll));
        ChannelsMetrics.ActiveSockets.Add(1, ChannelsMetrics.Transport(ChannelsMetrics.LongPoll));
        try
        {
            await session.Connection.StartAsync(CancellationToken.None).ConfigureAwait(false);
            await session.Closed.ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(session.Id, out _);
            await session.Connection.TerminateAsync(registry.IsShuttingDown ? TerminateReason.Shutdown : TerminateReason.Closed).ConfigureAwait(false);
            registry.Release();
            ChannelsMetrics.ActiveSockets.Add(-1, ChannelsMetrics.Transport(ChannelsMetrics.LongPoll));
            ChannelsLog.SocketClosed(runtime.Logger, session.Connection.Id);
        }
    }

    /// <summary>Ends sessions whose client has not polled for <paramref name="idleAfter"/>: it went away without a word.</summary>
    public void CloseIdle(TimeSpan idleAfter)
    {
        var cutoff = Environment.TickCount64 - (long)idleAfter.TotalMilliseconds;
        foreach (var session in _sessions.Values)
        {
            if (session.LastSeenTicks < cutoff)
            {
                ChannelsMetrics.IdleTimeouts.Add(1);
                session.Close(WebSocketCloseStatus.EndpointUnavailable, "no poll within the window");
            }
        }
    }

    /// <summary>Ends every session; waiting polls are answered 410, so clients reconnect to the next node.</summary>
    public void CloseAll()
    {
        _stopping = true;
        foreach (var session in _sessions.Values)
        {
            session.Close((WebSocketCloseStatus)1012, "server restart");
        }
    }
}

/// <summary>The reaper of LongPoll sessions whose client stopped polling, and their end at shutdown.</summary>
internal sealed class LongPollReaper(LongPollSessions sessions, IOptions<ChannelsOptions> options, IHostApplicationLifetime lifetime) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(sessions.CloseAll);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.LongPollWindow;
        // A client polls again as soon as a poll returns, and a poll returns within the window:
        // one and a half windows of silence means the client is gone (Phoenix waits as long).
        var idleAfter = window * 1.5;
        using var timer = new PeriodicTimer(window / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                sessions.CloseIdle(idleAfter);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
