using Chat.Messages;
using Chat.Reactions;

namespace Chat.Search;

/// <summary>A message that a search found, with its room's slug (CONTRACT.md §6: MESSAGE + <c>room_slug</c>).</summary>
public sealed record FoundMessage(
    long Id, long RoomId, long UserId, string Username, string Content, DateTime InsertedAt,
    DateTime? EditedAt, bool Deleted, MessageReactions Reactions, long Rev,
    [property: System.Text.Json.Serialization.JsonPropertyOrder(1)] string RoomSlug)
    : MessageView(Id, RoomId, UserId, Username, Content, InsertedAt, EditedAt, Deleted, Reactions, Rev);

/// <summary>A page of search results, newest first, and whether older ones match too.</summary>
public sealed record SearchPage(IReadOnlyList<FoundMessage> Messages, bool HasMore);

/// <summary>A search as a client asks for it.</summary>
/// <param name="Query">The words; the last one also matches as a prefix.</param>
/// <param name="RoomId">Only this room, or every room.</param>
/// <param name="BeforeId">Only messages older than this id: the next page.</param>
/// <param name="Limit">1–100, 20 when not given.</param>
public sealed record SearchRequest(string? Query, long? RoomId = null, long? BeforeId = null, int? Limit = null);
