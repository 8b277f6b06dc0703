using Chat.Reactions;
using Chat.Rooms;

namespace Chat.Messages;

/// <summary>A message as clients see it (CONTRACT.md MESSAGE). A tombstone has empty content and no reactions.</summary>
/// <param name="Rev">
/// Increasing across the server: the id when the message was created, a new number on every
/// edit, delete or reaction change (see <see cref="Revisions"/>).
/// </param>
public record MessageView(
    long Id, long RoomId, long UserId, string Username, string Content, DateTime InsertedAt,
    DateTime? EditedAt, bool Deleted, MessageReactions Reactions, long Rev)
{
    /// <summary>A message just created: never edited, no reactions, its revision its id.</summary>
    public static MessageView Created(long id, long roomId, ChatUser author, string content, DateTime insertedAt) =>
        new(id, roomId, author.Id, author.Username, content, insertedAt, null, false, MessageReactions.None, id);
}

/// <summary>A stored message, and whether this call stored it or found an earlier send with the same client_id.</summary>
/// <param name="Message">The message as stored.</param>
/// <param name="Created">False when an earlier send with the same client_id was found instead.</param>
/// <param name="PreviousId">
/// The id of the message right before it in its room (0 for the first), fixed in the same
/// transaction, where the store knows it (PostgreSQL, whose commits several nodes share).
/// It puts a room's broadcasts in one order across nodes (see <c>BroadcastSequence</c>).
/// </param>
public sealed record PostedMessage(MessageView Message, bool Created, long? PreviousId = null);

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
/// <param name="Mentioned">The ids of the users the message mentions (CONTRACT.md §5); empty for a repeat.</param>
/// <param name="PreviousId">The id of the message right before it in its room, where the store knows it (<see cref="PostedMessage.PreviousId"/>).</param>
public sealed record StoredMessage(MessageView Message, RoomView Room, bool Created, object? Origin, IReadOnlyList<long> Mentioned, long? PreviousId = null)
{
    public string RoomSlug => Room.Slug;

    /// <summary>The span the message was sent under, for the spans of what happens to it next (the reply, the broadcast).</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }
}

/// <summary>What happened to a message after it was sent.</summary>
public enum MessageChangeKind
{
    /// <summary>Its author changed its content (<c>msg_updated</c>).</summary>
    Edited,

    /// <summary>Its author deleted it; it is a tombstone now (<c>msg_deleted</c>).</summary>
    Deleted,

    /// <summary>Someone reacted or took a reaction back (<c>reactions</c>).</summary>
    Reactions,
}

/// <summary>A change to a message, as its caller gets it back and as <see cref="IChatEvents.MessageChangedAsync"/> announces it.</summary>
/// <param name="Message">The message as it is now, with its new revision.</param>
/// <param name="Changed">
/// False when the request changed nothing (a second delete, a repeated reaction, an edit to the
/// same text): the caller still succeeds, but nothing was stored or announced.
/// </param>
/// <param name="Origin">What the caller passed to recognise its own request (a socket's reply handle), or null.</param>
/// <param name="Mentioned">Users an edit mentions who were not mentioned before; empty otherwise.</param>
public sealed record MessageChange(MessageChangeKind Kind, MessageView Message, RoomView Room, bool Changed, object? Origin, IReadOnlyList<long> Mentioned);

/// <summary>What a rejoining client lacks (CONTRACT.md §3–§4).</summary>
/// <param name="Messages">Messages after its last_seen_id, oldest first.</param>
/// <param name="HasMore">More messages followed than the page holds.</param>
/// <param name="Changed">
/// Messages up to its last_seen_id changed after its last_rev, oldest change first; null
/// when it sent no last_rev.
/// </param>
/// <param name="ChangedMore">More changes than <paramref name="Changed"/> holds: the client should reload.</param>
public sealed record CatchUp(IReadOnlyList<MessageView> Messages, bool HasMore, IReadOnlyList<MessageView>? Changed, bool? ChangedMore);

/// <summary>Which page of a room's history to read, as a client asks for it.</summary>
/// <param name="BeforeId">Only messages older than this id.</param>
/// <param name="AfterId">Only messages newer than this id; the page then starts right after it.</param>
/// <param name="Limit">At most this many messages: 1–100, 50 when not given.</param>
public sealed record HistoryRequest(long? BeforeId = null, long? AfterId = null, int? Limit = null);

/// <summary>A page of history, oldest first, and whether more lies beyond it in the direction read.</summary>
public sealed record HistoryPage(IReadOnlyList<MessageView> Messages, bool HasMore);
