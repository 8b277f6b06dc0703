using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.PubSub;

/// <summary>
/// An event for every subscriber of a topic. The payload is encoded once, when the
/// broadcast is made; each wire format then frames it once and every socket that speaks
/// that format is handed the same bytes (the fastlane).
/// </summary>
public sealed class Broadcast
{
    private readonly OutboundFrame?[] _frames = new OutboundFrame?[MessageSerializer.All.Length];

    /// <summary>Creates a broadcast of an encoded payload.</summary>
    public Broadcast(string topic, string @event, Payload payload, IBroadcastSubscriber? except = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        Topic = topic;
        Event = @event;
        Payload = payload;
        Except = except;
    }

    /// <summary>The topic it goes to.</summary>
    public string Topic { get; }

    /// <summary>The event name the clients see.</summary>
    public string Event { get; }

    /// <summary>The encoded payload.</summary>
    public Payload Payload { get; }

    /// <summary>
    /// A local subscriber that must not receive it (Phoenix's <c>broadcast_from</c>). It only
    /// ever names a subscriber on the node that broadcasts.
    /// </summary>
    public IBroadcastSubscriber? Except { get; }

    /// <summary>
    /// Where this broadcast stands in its topic's order, for events that every member must
    /// see in one order whichever node published them (a room's new messages); null for the
    /// rest. A backplane delivers sequenced broadcasts of a topic in the order of this chain,
    /// and where it cannot (one was lost, or its publisher died), it interrupts the topic's
    /// channels instead, so their clients rejoin and catch up from storage.
    /// </summary>
    public BroadcastSequence? Sequence { get; init; }

    /// <summary>
    /// True for the marker that <see cref="LocalSubscriptions.Interrupt"/> delivers: members
    /// of the topic may have missed broadcasts. A joined channel ends with <c>phx_error</c>, so
    /// that its client rejoins and catches up.
    /// </summary>
    public bool IsInterruption { get; private init; }

    /// <summary>The marker that tells a topic's subscribers they may have missed broadcasts.</summary>
    internal static Broadcast Interruption(string topic) =>
        new(topic, InterruptionEvent, Payload.Empty) { IsInterruption = true };

    /// <summary>The event name of <see cref="Interruption"/>, which is what its client is sent.</summary>
    internal const string InterruptionEvent = "phx_error";

    /// <summary>The frame for one wire format, built by the first socket that needs it.</summary>
    internal OutboundFrame FrameFor(MessageSerializer serializer)
    {
        ref var slot = ref _frames[serializer.Slot];
        // A race between two dispatching threads only costs one extra encoding.
        return slot ??= serializer.EncodeBroadcast(Topic, Event, Payload);
    }
}
