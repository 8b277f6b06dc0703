using System.Text.Json;
using Chat.Channels.PubSub;

namespace Chat.Channels.Testing;

/// <summary>The test's own subscription to a topic: Phoenix.ChannelTest's <c>assert_broadcast</c>.</summary>
public sealed class BroadcastProbe : IBroadcastSubscriber, IDisposable
{
    private readonly TestInbox<Broadcast> _inbox = new();

    internal IDisposable? Subscription { get; set; }

    /// <summary>Waits for a broadcast of <paramref name="event"/> and returns its payload.</summary>
    public async Task<JsonElement> AssertBroadcastAsync(string @event, TimeSpan? timeout = null)
    {
        var broadcast = await _inbox.TakeAsync(b => b.Event == @event, timeout ?? ChannelTestHost.DefaultTimeout).ConfigureAwait(false)
            ?? throw new TestAssertionException($"Expected a broadcast of \"{@event}\"; got none.");
        return broadcast.Payload.ToJsonElement();
    }

    /// <summary>Waits for a broadcast of <paramref name="event"/> and returns it as it was delivered (a binary payload too).</summary>
    public async Task<Broadcast> TakeBroadcastAsync(string @event, TimeSpan? timeout = null) =>
        await _inbox.TakeAsync(b => b.Event == @event, timeout ?? ChannelTestHost.DefaultTimeout).ConfigureAwait(false)
            ?? throw new TestAssertionException($"Expected a broadcast of \"{@event}\"; got none.");

    /// <summary>Fails if a broadcast of <paramref name="event"/> arrives within <paramref name="within"/>.</summary>
    public async Task RefuteBroadcastAsync(string @event, TimeSpan? within = null)
    {
        var broadcast = await _inbox.TakeAsync(b => b.Event == @event, within ?? TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        if (broadcast is not null)
        {
            throw new TestAssertionException($"Expected no broadcast of \"{@event}\"; got {broadcast.Payload}.");
        }
    }

    void IBroadcastSubscriber.Deliver(Broadcast broadcast) => _inbox.Add(broadcast);

    /// <summary>Unsubscribes.</summary>
    public void Dispose() => Subscription?.Dispose();
}
