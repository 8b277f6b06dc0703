using Chat.Accounts;
using Chat.Messages;
using Chat.Rooms;
using Chat.Validation;

namespace Chat.Server.Contract;

// What the server answers and broadcasts, over HTTP and over sockets alike.

public sealed record SessionResponse(UserView User, string Token);

public sealed record RoomsResponse(IReadOnlyList<RoomView> Rooms);

public sealed record RoomResponse(RoomView Room);

public sealed record MessagesResponse(IReadOnlyList<MessageView> Messages, bool HasMore);

public sealed record MessageResponse(MessageView Message);

/// <summary>The reply to joining <c>room:{slug}</c>.</summary>
public sealed record RoomJoinReply(RoomView Room, IReadOnlyList<MessageView> Messages, bool HasMore);

/// <summary><c>typing</c> to the other members of a room.</summary>
public sealed record TypingEvent(long UserId, string Username);

/// <summary>What presence shows of each member's connection.</summary>
public sealed record PresenceMeta(string Username, DateTime OnlineAt);

/// <summary>Field errors, like an Ecto changeset's: <c>{"errors": {"content": ["can't be blank"]}}</c>.</summary>
public sealed record ErrorsResponse(IReadOnlyDictionary<string, List<string>> Errors)
{
    public static ErrorsResponse From(FieldErrors errors) => new(errors.ByField);
}

/// <summary>One error that concerns no field: <c>{"error": "invalid username or password"}</c>.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>A channel refusal or error: <c>{"reason": "room not found"}</c>.</summary>
public sealed record ReasonResponse(string Reason);
