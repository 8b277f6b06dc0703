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

    /// <summary>The frame for one wire format, built by the first socket that needs it.</summary>
    internal OutboundFrame FrameFor(MessageSerializer serializer)
    {
        ref var slot = ref _frames[serializer.Slot];
        // A race between two dispatching threads only costs one extra encoding.
        return slot ??= serializer.EncodeBroadcast(Topic, Event, Payload);
    }
}
