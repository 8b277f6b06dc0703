using System.Net.WebSockets;

namespace Chat.Channels.Internal.Serialization;

/// <summary>A client frame that cannot be decoded. The socket closes with <see cref="CloseStatus"/>.</summary>
internal sealed class FrameDecodeException(WebSocketCloseStatus closeStatus, string message) : Exception(message)
{
    public WebSocketCloseStatus CloseStatus { get; } = closeStatus;

    /// <summary>Valid framing, but the text is not a message this serializer understands (1007).</summary>
    public static FrameDecodeException Invalid(string message) => new(WebSocketCloseStatus.InvalidPayloadData, message);

    /// <summary>A kind of frame this serializer does not accept at all (1003).</summary>
    public static FrameDecodeException Unsupported(string message) => new(WebSocketCloseStatus.InvalidMessageType, message);
}
