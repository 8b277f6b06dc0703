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

/// <summary>Joining <c>room:{slug}</c>: catching up from the highest id and the highest rev the client saw.</summary>
public sealed record RoomJoinRequest(long? LastSeenId, long? LastRev);

/// <summary><c>edit_msg</c> (with the id); <c>PATCH /api/rooms/{slug}/messages/{id}</c> (the id in the path).</summary>
public sealed record EditMessageRequest(long? Id, string? Content);

/// <summary><c>delete_msg</c>, <c>mark_read</c>, <c>PUT /api/rooms/{slug}/read</c>: one message by id.</summary>
public sealed record MessageIdRequest(long? Id);

/// <summary><c>react</c>, <c>unreact</c> (over HTTP the id and the emoji are in the path).</summary>
public sealed record ReactionRequest(long? Id, string? Emoji);

/// <summary><c>history</c> on <c>room:{slug}</c>.</summary>
public sealed record HistoryPageRequest(long? BeforeId, int? Limit);

/// <summary><c>list_rooms</c> on the lobby: the page of rooms after the one with this slug.</summary>
public sealed record RoomListPageRequest(string? After, int? Limit);
