namespace Chat.Channels.Internal.Serialization;

/// <summary>
/// One version of the Phoenix wire format. A socket picks one by its <c>vsn</c> parameter
/// and keeps it for its life.
/// </summary>
internal abstract class MessageSerializer
{
    /// <summary>Every serializer, indexed by <see cref="Slot"/>; broadcasts cache one frame per slot.</summary>
    public static readonly MessageSerializer[] All = [V1JsonSerializer.Instance, V2JsonSerializer.Instance];

    /// <summary>The index of this serializer's frame in a broadcast's cache.</summary>
    public abstract int Slot { get; }

    /// <summary>Decodes a client frame; throws <see cref="FrameDecodeException"/> for anything else.</summary>
    public abstract InboundMessage Decode(ReadOnlySpan<byte> frame, bool isBinary);

    /// <summary>A <c>phx_reply</c> to the client message <paramref name="ref"/>.</summary>
    public abstract OutboundFrame EncodeReply(string? joinRef, string? @ref, string topic, string status, Payload response);

    /// <summary>A server-initiated message to one client: a push, <c>phx_close</c> or <c>phx_error</c>.</summary>
    public abstract OutboundFrame EncodeMessage(string? joinRef, string? @ref, string topic, string @event, Payload payload);

    /// <summary>A broadcast, with null refs, identical for every subscriber.</summary>
    public abstract OutboundFrame EncodeBroadcast(string topic, string @event, Payload payload);

    /// <summary>Chooses the serializer for a <c>vsn</c> connect parameter; a missing one means 1.0.0.</summary>
    public static MessageSerializer? ForVersion(string? vsn) => vsn switch
    {
        null or "" => V1JsonSerializer.Instance,
        _ when IsVersion(vsn, "1.0.") => V1JsonSerializer.Instance,
        _ when IsVersion(vsn, "2.0.") => V2JsonSerializer.Instance,
        _ => null,
    };

    // Phoenix accepts "~> 1.0.0" and "~> 2.0.0": any patch level of the given minor version.
    private static bool IsVersion(string vsn, string prefix) =>
        vsn.StartsWith(prefix, StringComparison.Ordinal)
        && vsn.Length > prefix.Length
        && vsn.AsSpan(prefix.Length).IndexOfAnyExceptInRange('0', '9') < 0;
}
