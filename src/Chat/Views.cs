namespace Chat;

/// <summary>A room as clients see it (CONTRACT.md ROOM).</summary>
public sealed record RoomView(long Id, string Name, string Slug, string? Description, DateTime InsertedAt, DateTime UpdatedAt);

/// <summary>A message as clients see it (CONTRACT.md MESSAGE).</summary>
public sealed record MessageView(long Id, long RoomId, long UserId, string Username, string Content, DateTime InsertedAt);

/// <summary>An account as clients see it: never the hash.</summary>
public sealed record UserView(long Id, string Username);

/// <summary>A stored message, and whether this call stored it or found an earlier send with the same client_id.</summary>
public sealed record PostedMessage(MessageView Message, bool Created);

/// <summary>A committed message as <see cref="IChatEvents.MessagesStoredAsync"/> announces it.</summary>
/// <param name="Message">The message as stored.</param>
/// <param name="RoomSlug">Its room's slug, which names the room's topic.</param>
/// <param name="Created">
/// False when the send repeated an earlier <c>client_id</c>: the original comes back, to be
/// answered to its sender, but it was announced once already and must not be broadcast again.
/// </param>
/// <param name="Origin">
/// Whatever the caller passed to <see cref="ChatService.CreateMessageAsync"/> to recognise
/// its own send (a socket's reply handle, say), or null. The context never looks inside it.
/// </param>
public sealed record StoredMessage(MessageView Message, string RoomSlug, bool Created, object? Origin);

/// <summary>Which page of a room's history to read.</summary>
/// <param name="BeforeId">Only messages older than this id.</param>
/// <param name="AfterId">Only messages newer than this id (catching up); the page then starts right after it.</param>
/// <param name="Limit">At most this many messages.</param>
public sealed record HistoryRequest(long? BeforeId = null, long? AfterId = null, int Limit = HistoryRequest.DefaultLimit)
{
    public const int DefaultLimit = 50;
}

/// <summary>A page of history, oldest first, and whether more lies beyond it in the direction read.</summary>
public sealed record HistoryPage(IReadOnlyList<MessageView> Messages, bool HasMore);
