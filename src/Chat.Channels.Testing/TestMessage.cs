using System.Text.Json;

namespace Chat.Channels.Testing;

/// <summary>A message the server sent to a test socket, decoded from the V2 wire format.</summary>
/// <param name="JoinRef">The join it belongs to; null for broadcasts.</param>
/// <param name="Ref">The client message it answers; null for pushes and broadcasts.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Event">The event, <c>phx_reply</c> for replies.</param>
/// <param name="Payload">The JSON payload.</param>
public sealed record TestMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload)
{
    /// <summary>True for a broadcast frame (both refs null), as opposed to a push to this client.</summary>
    public bool IsBroadcast => JoinRef is null && Ref is null;
}

/// <summary>A reply to a client message.</summary>
/// <param name="Status">The status, usually <c>ok</c> or <c>error</c>.</param>
/// <param name="Response">The response payload.</param>
public sealed record TestReply(string Status, JsonElement Response)
{
    /// <summary>True for an <c>ok</c> reply.</summary>
    public bool IsOk => Status == "ok";
}
