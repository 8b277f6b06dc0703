namespace Chat.Server.Contract;

// What clients send, over HTTP and over sockets alike; one shape per request, whichever way it
// comes. Names become snake_case on the wire. Every field is optional here: the input is
// untrusted, and the context checks it and answers with field errors.

/// <summary><c>POST /api/users</c>, <c>POST /api/session</c>.</summary>
public sealed record CredentialsRequest(string? Username, string? Password);

/// <summary><c>POST /api/rooms</c>, <c>create_room</c>.</summary>
public sealed record RoomRequest(string? Name, string? Description);

/// <summary><c>POST /api/rooms/{slug}/messages</c>, <c>new_msg</c>.</summary>
public sealed record MessageRequest(string? Content, string? ClientId);

/// <summary>Joining <c>room:{slug}</c>: catching up from what the client saw last.</summary>
public sealed record RoomJoinRequest(long? LastSeenId);

/// <summary><c>history</c> on <c>room:{slug}</c>.</summary>
public sealed record HistoryPageRequest(long? BeforeId, int? Limit);
