using System.Text.Json;

namespace Chat.Channels.Testing;

/// <summary>One join of a test socket: push events and assert on what the channel sends back.</summary>
public sealed class TestChannel
{
    private readonly TestSocket _socket;

    internal TestChannel(TestSocket socket, string topic, string joinRef)
    {
        _socket = socket;
        Topic = topic;
        JoinRef = joinRef;
    }

    /// <summary>The joined topic.</summary>
    public string Topic { get; }

    /// <summary>The join's ref.</summary>
    public string JoinRef { get; }

    /// <summary>Pushes an event and waits for its reply.</summary>
    public Task<TestReply> PushAsync(string @event, object? payload = null) =>
        _socket.SendAndAwaitReplyAsync(JoinRef, null, Topic, @event, payload);

    /// <summary>Pushes an event without waiting for anything; returns its ref.</summary>
    public Task<string> PushNoWaitAsync(string @event, object? payload = null) =>
        _socket.SendAsync(JoinRef, Topic, @event, payload);

    /// <summary>Leaves the topic and waits for the reply.</summary>
    public Task<TestReply> LeaveAsync() => PushAsync("phx_leave");

    /// <summary>Waits for a push or broadcast of <paramref name="event"/> on this topic and returns its payload.</summary>
    public async Task<JsonElement> AssertPushAsync(string @event, TimeSpan? timeout = null)
    {
        var message = await _socket.ReceiveAsync(m => m.Topic == Topic && m.Event == @event, timeout).ConfigureAwait(false)
            ?? throw new TestAssertionException($"Expected \"{@event}\" on {Topic}; got none. Pending: {Describe()}");
        return message.Payload;
    }

    /// <summary>Fails if a push or broadcast of <paramref name="event"/> arrives within <paramref name="within"/>.</summary>
    public async Task RefutePushAsync(string @event, TimeSpan? within = null)
    {
        var message = await _socket.ReceiveAsync(m => m.Topic == Topic && m.Event == @event, within ?? TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        if (message is not null)
        {
            throw new TestAssertionException($"Expected no \"{@event}\" on {Topic}; got {message.Payload}.");
        }
    }

    private string Describe() => string.Join(", ", _socket.Pending.Select(m => $"{m.Topic}/{m.Event}"));
}
