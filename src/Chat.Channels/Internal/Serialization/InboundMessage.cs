namespace Chat.Channels.Internal.Serialization;

/// <summary>One decoded client frame: <c>[join_ref, ref, topic, event, payload]</c>.</summary>
internal readonly record struct InboundMessage(string? JoinRef, string? Ref, string Topic, string Event, Payload Payload);
