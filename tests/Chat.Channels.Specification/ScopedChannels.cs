using System.Collections.Concurrent;

namespace Chat.Channels.Tests;

/// <summary>What the scoped test channels saw, for assertions.</summary>
public sealed class LifetimeLog
{
    public ConcurrentBag<string> Disposed { get; } = [];

    public ConcurrentBag<string> ChannelsDisposed { get; } = [];

    public ConcurrentBag<string> Waiting { get; } = [];

    public ConcurrentBag<string> Cancelled { get; } = [];

    public ConcurrentDictionary<string, bool> TerminateSawEnded { get; } = new();

    public ConcurrentDictionary<string, bool> LateTokenCancelled { get; } = new();

    public ConcurrentDictionary<string, ChannelSocket> Sockets { get; } = new();

    public async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}

/// <summary>A scoped service: one per joined channel, disposed with the channel's scope.</summary>
public sealed class ScopedProbe(LifetimeLog log) : IDisposable
{
    public string Name { get; } = Guid.NewGuid().ToString("N");

    public void Dispose() => log.Disposed.Add(Name);
}

/// <summary>A channel with a scoped dependency, which watches its <see cref="ChannelSocket.Ended"/> token.</summary>
public sealed class ScopedChannel(ScopedProbe probe, LifetimeLog log) : Channel, IAsyncDisposable
{
    private string _topic = "";
    private bool _keepSocket;

    public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        _topic = topic;
        var options = payload.ToJsonElement();
        _keepSocket = options.TryGetProperty("keep_socket", out _);
        return ValueTask.FromResult(options.TryGetProperty("refuse", out _) ? JoinResult.Error(new { reason = "refused" }) : JoinResult.Ok());
    }

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        switch (@event)
        {
            case "probe":
                return InResult.Ok(new { probe = probe.Name });
            case "wait_for_end":
                log.Waiting.Add(_topic);
                try
                {
                    await Task.Delay(Timeout.Infinite, socket.Ended);
                }
                catch (OperationCanceledException)
                {
                    log.Cancelled.Add(_topic);
                }

                return InResult.Ok();
            default:
                return InResult.Error(new { reason = "unknown" });
        }
    }

    public override ValueTask TerminateAsync(TerminateReason reason, ChannelSocket socket)
    {
        log.TerminateSawEnded[_topic] = socket.Ended.IsCancellationRequested;
        if (_keepSocket)
        {
            log.Sockets[_topic] = socket;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        log.ChannelsDisposed.Add(_topic);
        if (log.Sockets.TryGetValue(_topic, out var socket))
        {
            log.LateTokenCancelled[_topic] = socket.Ended.IsCancellationRequested;
        }

        return ValueTask.CompletedTask;
    }
}
