namespace Chat.Server.Channels;

// Payloads of the chat channels (CONTRACT.md §3). Incoming ones are untrusted: every field
// is optional here and checked by the channel.

public sealed record RoomJoinPayload(long? LastSeenId);

public sealed record NewMessagePayload(string? Content, string? ClientId);

public sealed record HistoryPayload(long? BeforeId, int? Limit);

public sealed record CreateRoomPayload(string? Name, string? Description);

public sealed record RoomJoinReply(RoomView Room, IReadOnlyList<MessageView> Messages, bool HasMore);

public sealed record LobbyJoinReply(IReadOnlyList<RoomView> Rooms);

public sealed record TypingEvent(long UserId, string Username);

public sealed record PresenceMeta(string Username, DateTime OnlineAt);

/// <summary><c>presence_count</c>: how many users a room holds, when it holds more than it lists.</summary>
public sealed record PresenceCount(int Count);
