using Chat.Rooms;

namespace Chat.Messages;

/// <summary>A message as clients see it (CONTRACT.md MESSAGE).</summary>
public sealed record MessageView(long Id, long RoomId, long UserId, string Username, string Content, DateTime InsertedAt);

/// <summary>A stored message, and whether this call stored it or found an earlier send with the same client_id.</summary>
public sealed record PostedMessage(MessageView Message, bool Created);

/// <summary>A committed message as <see cref="IChatEvents.MessagesStoredAsync"/> announces it.</summary>
/// <param name="Message">The message as stored.</param>
/// <param name="Room">Its room, whose slug names the room's topic.</param>
/// <param name="Created">
/// False when the send repeated an earlier <c>client_id</c>: the original comes back, to be
/// answered to its sender, but it was announced once already and must not be broadcast again.
/// </param>
/// <param name="Origin">
/// Whatever the caller passed to <see cref="MessageService.CreateAsync"/> to recognise its own
/// send (a socket's reply handle, say), or null. The context never looks inside it.
/// </param>
public sealed record StoredMessage(MessageView Message, RoomView Room, bool Created, object? Origin)
{
    public string RoomSlug => Room.Slug;

    /// <summary>The span the message was sent under, for the spans of what happens to it next (the reply, the broadcast).</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }
}

/// <summary>Which page of a room's history to read, as a client asks for it.</summary>
/// <param name="BeforeId">Only messages older than this id.</param>
/// <param name="AfterId">Only messages newer than this id; the page then starts right after it.</param>
/// <param name="Limit">At most this many messages: 1–100, 50 when not given.</param>
public sealed record HistoryRequest(long? BeforeId = null, long? AfterId = null, int? Limit = null);

/// <summary>A page of history, oldest first, and whether more lies beyond it in the direction read.</summary>
public sealed record HistoryPage(IReadOnlyList<MessageView> Messages, bool HasMore);
