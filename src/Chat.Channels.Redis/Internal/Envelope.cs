using System.Buffers.Binary;
using System.Text;
using Chat.Channels.PubSub;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// What travels on a topic's Redis channel: one message per broadcast or presence change,
/// its first byte saying which.
/// </summary>
/// <remarks>
/// <para>A broadcast is <c>kind flags origin[16] (previous[8] current[8])? eventLength[2] event payload</c>,
/// little-endian, the payload as encoded once by the publisher and never parsed here. Its kind
/// is <see cref="Broadcast"/>, or <see cref="Resync"/> when Redis published a sequenced broadcast
/// out of order (the scripts prepend the kind, so they never parse a body).</para>
/// <para>Presence changes are written by Lua scripts as well as by this node, so they are
/// netstrings (<c>length:bytes</c>), which Lua builds with one concatenation:
/// <see cref="PresenceJoin"/> <c>node ref seq key meta</c> and <see cref="PresenceLeave"/>
/// <c>node ref…</c>.</para>
/// </remarks>
internal static class Envelope
{
    public const byte Broadcast = (byte)'B';
    public const byte Resync = (byte)'R';
    public const byte PresenceJoin = (byte)'J';
    public const byte PresenceLeave = (byte)'L';

    /// <summary>Alone: the topic's members on every node may have missed broadcasts and rejoin.</summary>
    public const byte Interrupt = (byte)'I';

    private const byte BinaryPayload = 1;
    private const byte DeliveredAtOrigin = 2;
    private const byte Sequenced = 4;
    private const int NodeIdLength = 16;

    /// <summary>
    /// Encodes a broadcast's body (everything after the kind byte) with room for the kind in
    /// front: <paramref name="withKind"/> writes it too, for a plain publish.
    /// </summary>
    public static byte[] EncodeBroadcast(Chat.Channels.PubSub.Broadcast broadcast, Guid origin, bool deliveredAtOrigin, bool withKind)
    {
        var eventBytes = Encoding.UTF8.GetByteCount(broadcast.Event);
        if (eventBytes > ushort.MaxValue)
        {
            throw new ArgumentException("An event name cannot be longer than 65535 bytes.", nameof(broadcast));
        }

        var payload = broadcast.Payload.Bytes.Span;
        var sequenced = broadcast.Sequence is not null;
        var start = withKind ? 1 : 0;
        var buffer = new byte[start + 1 + NodeIdLength + (sequenced ? 16 : 0) + 2 + eventBytes + payload.Length];
        var span = buffer.AsSpan();
        if (withKind)
        {
            span[0] = Broadcast;
        }

        var at = start;
        span[at++] = (byte)((broadcast.Payload.IsBinary ? BinaryPayload : 0) | (deliveredAtOrigin ? DeliveredAtOrigin : 0) | (sequenced ? Sequenced : 0));
        origin.TryWriteBytes(span.Slice(at, NodeIdLength));
        at += NodeIdLength;
        if (broadcast.Sequence is { } sequence)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], sequence.Previous);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], sequence.Current);
            at += 16;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)eventBytes);
        at += 2;
        at += Encoding.UTF8.GetBytes(broadcast.Event, span[at..]);
        payload.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>Decodes a broadcast message (kind byte included); throws <see cref="FormatException"/> on garbage.</summary>
    public static ReceivedBroadcast DecodeBroadcast(string topic, ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        if (span.Length < 2 + NodeIdLength + 2)
        {
            throw new FormatException("A broadcast message is too short.");
        }

        var flags = span[1];
        var origin = new Guid(span.Slice(2, NodeIdLength));
        var at = 2 + NodeIdLength;
        BroadcastSequence? sequence = null;
        if ((flags & Sequenced) != 0)
        {
            if (span.Length < at + 16 + 2)
            {
                throw new FormatException("A sequenced broadcast message is too short.");
            }

            sequence = new BroadcastSequence(BinaryPrimitives.ReadInt64LittleEndian(span[at..]), BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..]));
            at += 16;
        }

        int eventLength = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        at += 2;
        if (eventLength == 0 || span.Length < at + eventLength)
        {
            throw new FormatException("A broadcast message has a bad event name.");
        }

        var @event = Encoding.UTF8.GetString(span.Slice(at, eventLength));
        at += eventLength;
        var bytes = message[at..];
        var payload = (flags & BinaryPayload) != 0 ? Payload.FromBinary(bytes) : Payload.FromJson(bytes);
        var broadcast = new Chat.Channels.PubSub.Broadcast(topic, @event, payload) { Sequence = sequence };
        return new ReceivedBroadcast(broadcast, origin, (flags & DeliveredAtOrigin) != 0, span[0] == Resync);
    }

    /// <summary>Reads netstrings from <paramref name="start"/> on (1 for a message, past its kind byte).</summary>
    public static List<ReadOnlyMemory<byte>> ReadNetstrings(ReadOnlyMemory<byte> message, int start)
    {
        var fields = new List<ReadOnlyMemory<byte>>();
        var at = start;
        var span = message.Span;
        while (at < span.Length)
        {
            var colon = span[at..].IndexOf((byte)':');
            if (colon <= 0 || !int.TryParse(span.Slice(at, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                || at + colon + 1 + length > span.Length)
            {
                throw new FormatException("A presence message has a bad field.");
            }

            at += colon + 1;
            fields.Add(message.Slice(at, length));
            at += length;
        }

        return fields;
    }

    /// <summary>Appends <c>length:bytes</c>.</summary>
    public static void WriteNetstring(List<byte> to, ReadOnlySpan<byte> value)
    {
        to.AddRange(Encoding.ASCII.GetBytes(value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        to.Add((byte)':');
        to.AddRange(value);
    }

    public static void WriteNetstring(List<byte> to, string value) => WriteNetstring(to, Encoding.UTF8.GetBytes(value));
}

/// <summary>A broadcast as it came off Redis.</summary>
/// <param name="Broadcast">Ready to deliver to this node's subscribers.</param>
/// <param name="Origin">The node that published it.</param>
/// <param name="DeliveredAtOrigin">True when the origin node delivered it to its own subscribers itself.</param>
/// <param name="Resync">True when Redis published it out of its topic's order: members may have missed the ones before it.</param>
internal readonly record struct ReceivedBroadcast(Broadcast Broadcast, Guid Origin, bool DeliveredAtOrigin, bool Resync);
