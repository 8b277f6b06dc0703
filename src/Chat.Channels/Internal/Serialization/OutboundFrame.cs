namespace Chat.Channels.Internal.Serialization;

/// <summary>
/// An encoded WebSocket message. Broadcast frames are shared by every socket that uses the
/// same serializer, so the bytes must never be mutated once built.
/// </summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, bool IsBinary);
