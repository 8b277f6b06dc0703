using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Chat.Channels.Presence;

namespace Chat.Channels.Tests;

/// <summary>
/// Routes <c>echo:*</c> to <see cref="EchoChannel"/>, <c>presence:*</c> to <see cref="PresenceChannel"/>
/// and <c>scoped:*</c> to <see cref="ScopedChannel"/>;
/// accepts sockets whose <c>token</c> param is <c>good</c>.
/// </summary>
public sealed class TestSocketHandler : SocketHandler
{
    public TestSocketHandler()
    {
        Channel<EchoChannel>("echo:*");
        Channel<PresenceChannel>("presence:*");
        Channel<ScopedChannel>("scoped:*");
    }

    public override ValueTask<ConnectResult> ConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var token = request.AuthToken ?? request.Params.GetValueOrDefault("token");
        // "expires": when the credentials run out, in Unix milliseconds.
        DateTimeOffset? expiresAt = request.Params.TryGetValue("expires", out var expires) ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expires, CultureInfo.InvariantCulture)) : null;
        return ValueTask.FromResult(token == "good"
            ? ConnectResult.Ok(new Dictionary<string, object?> { ["user"] = request.Params.GetValueOrDefault("user", "anon") }, request.Params.GetValueOrDefault("id"), expiresAt)
            : ConnectResult.Refuse());
    }
}

/// <summary>Records every terminate, so tests can assert on reasons.</summary>
public sealed class TerminateLog
{
    private readonly ConcurrentQueue<(string Topic, TerminateReason Reason)> _entries = new();

    public IReadOnlyCollection<(string Topic, TerminateReason Reason)> Entries => _entries;

    public void Add(string topic, TerminateReason reason) => _entries.Enqueue((topic, reason));

    public async Task<TerminateReason> WaitForAsync(string topic, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < deadline)
        {
            foreach (var entry in _entries)
            {
                if (entry.Topic == topic)
                {
                    return entry.Reason;
                }
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"No terminate for {topic}.");
    }
}

/// <summary>A channel whose behaviour each test picks through the event it pushes.</summary>
public sealed class EchoChannel(TerminateLog terminations) : Channel
{
    /// <summary>Joins of each topic that reached their <c>hold_ms</c> wait (so the channel is subscribed).</summary>
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Holding = new();

    private int _handled;

    /// <summary>
    /// Waits until a join of <paramref name="topic"/> (unique to the test) is holding: a test
    /// that publishes during a join must not guess when the join began on a loaded machine.
    /// </summary>
    public static Task JoinHoldingAsync(string topic) =>
        Holding.GetOrAdd(topic, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10));

    public override IReadOnlyCollection<string> Intercepts => ["intercepted"];

    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        var options = payload.ToJsonElement();
        if (options.TryGetProperty("refuse", out _))
        {
            return JoinResult.Error(new { reason = "refused" });
        }

        if (options.TryGetProperty("crash", out _))
        {
            throw new InvalidOperationException("join failed on purpose");
        }

        if (options.TryGetProperty("hold_ms", out var hold))
        {
            Holding.GetOrAdd(topic, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await Task.Delay(hold.GetInt32());
        }

        var pushRefused = false;
        try
        {
            socket.Push("too_early", null);
        }
        catch (InvalidOperationException)
        {
            pushRefused = true;
        }

        if (options.TryGetProperty("after_join", out _))
        {
            socket.Send("after_join");
        }

        socket.Assign("joined_topic", topic);
        if (options.TryGetProperty("sequenced_through", out var through))
        {
            return JoinResult.Ok(new { topic }, through.GetInt64());
        }

        return options.TryGetProperty("silent", out _)
            ? JoinResult.Ok()
            : JoinResult.Ok(new { topic, push_refused = pushRefused, user = socket.Assigns["user"] });
    }

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        _handled++;
        switch (@event)
        {
            case "echo":
                return InResult.Ok(payload);
            case "status":
                return InResult.Reply(payload.ToJsonElement().GetProperty("status").GetString()!, new { handled = _handled });
            case "slow":
                var json = payload.ToJsonElement();
                await Task.Delay(json.GetProperty("ms").GetInt32());
                return InResult.Ok(new { seq = json.GetProperty("seq").GetInt32(), handled = _handled });
            case "reply_later":
                var target = socket.Ref;
                _ = Task.Run(async () =>
                {
                    await Task.Delay(20);
                    target.Reply("ok", new { later = true });
                });
                return InResult.NoReply;
            case "stop":
                return InResult.Stop("requested", "ok", new { stopping = true });
            case "crash":
                throw new InvalidOperationException("crashed on purpose");
            case "push":
                socket.Push("pushed", payload);
                return InResult.NoReply;
            case "broadcast":
                await socket.BroadcastAsync("shout", payload);
                return InResult.Ok();
            case "broadcast_from":
                await socket.BroadcastFromAsync("shout", payload);
                return InResult.Ok();
            case "broadcast_intercepted":
                await socket.BroadcastAsync("intercepted", payload);
                return InResult.Ok();
            case "send_self":
                socket.Send("info");
                return InResult.Ok();
            default:
                return await base.HandleInAsync(@event, payload, socket);
        }
    }

    public override ValueTask HandleOutAsync(string @event, Payload payload, ChannelSocket socket)
    {
        // Per-recipient work: drop the event for the user it names, tag it for everyone else.
        var json = payload.ToJsonElement();
        var me = socket.Assigns["user"] as string;
        if (json.TryGetProperty("drop_for", out var dropFor) && dropFor.GetString() == me)
        {
            return ValueTask.CompletedTask;
        }

        socket.Push(@event, new { seen_by = me, original = json });
        return ValueTask.CompletedTask;
    }

    public override ValueTask HandleInfoAsync(object message, ChannelSocket socket)
    {
        socket.Push(message as string ?? "unknown", new { topic = socket.Get<string>("joined_topic") });
        return ValueTask.CompletedTask;
    }

    public override ValueTask TerminateAsync(TerminateReason reason, ChannelSocket socket)
    {
        terminations.Add(socket.Topic, reason);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The channel handles of every presence join, so a test can call <see cref="IPresence"/> for a channel directly.</summary>
public sealed class JoinedChannels
{
    private readonly ConcurrentQueue<ChannelSocket> _sockets = new();

    public void Add(ChannelSocket socket) => _sockets.Enqueue(socket);

    public ChannelSocket Last(string topic) => _sockets.Last(s => s.Topic == topic);
}

/// <summary>
/// A room with presence, as a chat would write it: tracks the socket's <c>user</c> after the
/// join, then pushes <c>tracked</c> <c>{"phx_ref"}</c> and <c>presence_state</c>. Join options:
/// <c>device</c> (goes into the meta) and <c>refuse_after_track</c> (tracks inside the join,
/// then refuses it). Events: <c>untrack</c>, <c>track_again</c>, <c>crash</c>.
/// </summary>
public sealed class PresenceChannel(IPresence presence, JoinedChannels joined) : Channel
{
    private static readonly object AfterJoin = new();

    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        var options = payload.ToJsonElement();
        socket.Assign("device", options.TryGetProperty("device", out var device) ? device.GetString() : "web");
        if (options.TryGetProperty("refuse_after_track", out _))
        {
            await presence.TrackAsync(socket, User(socket), Meta(socket));
            return JoinResult.Error(new { reason = "refused" });
        }

        joined.Add(socket);
        socket.Send(AfterJoin);
        return JoinResult.Ok();
    }

    public override async ValueTask HandleInfoAsync(object message, ChannelSocket socket)
    {
        if (ReferenceEquals(message, AfterJoin))
        {
            var phxRef = await presence.TrackAsync(socket, User(socket), Meta(socket));
            socket.Push("tracked", new { phx_ref = phxRef });
            socket.Push("presence_state", await presence.ListAsync(socket.Topic));
        }
    }

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        switch (@event)
        {
            case "untrack":
                await presence.UntrackAsync(socket, User(socket));
                return InResult.Ok();
            case "track_again":
                try
                {
                    await presence.TrackAsync(socket, User(socket), Meta(socket));
                    return InResult.Ok();
                }
                catch (InvalidOperationException ex)
                {
                    return InResult.Error(new { reason = ex.Message });
                }

            case "crash":
                throw new InvalidOperationException("crashed on purpose");
            default:
                return await base.HandleInAsync(@event, payload, socket);
        }
    }

    private static string User(ChannelSocket socket) => socket.Get<string>("user");

    private static object Meta(ChannelSocket socket) => new
    {
        username = User(socket),
        device = socket.Assigns["device"],
        online_at = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };
}

public static class JsonAssert
{
    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
