using Chat.Validation;

namespace Chat.Server.Api;

// What travels over HTTP and sockets. Names become snake_case on the wire.

public sealed record CredentialsRequest(string? Username, string? Password);

public sealed record RoomRequest(string? Name, string? Description);

public sealed record MessageRequest(string? Content, string? ClientId);

public sealed record SessionResponse(UserView User, string Token);

public sealed record RoomsResponse(IReadOnlyList<RoomView> Rooms);

public sealed record RoomResponse(RoomView Room);

public sealed record MessagesResponse(IReadOnlyList<MessageView> Messages, bool HasMore);

public sealed record MessageResponse(MessageView Message);

/// <summary>Field errors, like an Ecto changeset's: <c>{"errors": {"content": ["can't be blank"]}}</c>.</summary>
public sealed record ErrorsResponse(IReadOnlyDictionary<string, List<string>> Errors)
{
    public static ErrorsResponse From(FieldErrors errors) => new(errors.ByField);
}

/// <summary>One error that concerns no field: <c>{"error": "invalid username or password"}</c>.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>A channel refusal or error: <c>{"reason": "room not found"}</c>.</summary>
public sealed record ReasonResponse(string Reason);
