using Chat.Accounts;
using Chat.Channels;
using System.Text.Json.Serialization;
using Chat.Messages;
using Chat.Reactions;
using Chat.ReadMarkers;
using Chat.Search;
using Chat.Rooms;
using Chat.Validation;

namespace Chat.Server.Contract;

// What the server answers and broadcasts, over HTTP and over sockets alike.

public sealed record SessionResponse(UserView User, string Token);

/// <summary>A page of the room list: <c>GET /api/rooms</c>, the lobby's join and <c>list_rooms</c>.</summary>
public sealed record RoomsResponse(IReadOnlyList<RoomView> Rooms, bool HasMore)
{
    public RoomsResponse(RoomPage page)
        : this(page.Rooms, page.HasMore)
    {
    }
}

public sealed record RoomResponse(RoomView Room);

public sealed record MessagesResponse(IReadOnlyList<MessageView> Messages, bool HasMore);

public sealed record MessageResponse(MessageView Message)
{
    private static ReadOnlySpan<byte> Head => "{\"message\":"u8;

    /// <summary>
    /// This response around a message that is already encoded, as serializing a
    /// <see cref="MessageResponse"/> writes it: the reply to a send and its broadcast share one
    /// encoding of the message.
    /// </summary>
    public static Payload Around(Payload message)
    {
        var bytes = new byte[Head.Length + message.Bytes.Length + 1];
        Head.CopyTo(bytes);
        message.Bytes.Span.CopyTo(bytes.AsSpan(Head.Length));
        bytes[^1] = (byte)'}';
        return Payload.FromJson(bytes);
    }
}

/// <summary>
/// The reply to joining <c>room:{slug}</c>; <c>changed</c> and <c>changed_more</c> only when
/// the client rejoined with <c>last_rev</c>.
/// </summary>
public sealed record RoomJoinReply(
    RoomView Room,
    IReadOnlyList<MessageView> Messages,
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<MessageView>? Changed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? ChangedMore = null);

/// <summary><c>msg_deleted</c>: the message is a tombstone now.</summary>
public sealed record MessageDeletedEvent(long Id, long RoomId, long Rev);

/// <summary><c>reactions</c>: a message's reactions as they are now.</summary>
public sealed record ReactionsEvent(long Id, long RoomId, MessageReactions Reactions, long Rev);

/// <summary><c>GET /api/search</c>: newest first.</summary>
public sealed record SearchResponse(IReadOnlyList<FoundMessage> Messages, bool HasMore);

/// <summary><c>mention</c> on <c>user:{id}</c>: a message that names the user, and its room.</summary>
public sealed record MentionEvent(MessageView Message, RoomView Room);

/// <summary>The join reply of <c>user:{id}</c> and <c>GET /api/me/unread</c>.</summary>
public sealed record UnreadResponse(IReadOnlyList<UnreadView> Rooms);

/// <summary>What the author of a change hears back: the message for an edit, <c>{}</c> otherwise.</summary>
public static class ChangeReplies
{
    public static object? For(MessageChange change) =>
        change.Kind == MessageChangeKind.Edited ? new MessageResponse(change.Message) : null;
}

/// <summary><c>typing</c> to the other members of a room.</summary>
public sealed record TypingEvent(long UserId, string Username);

/// <summary>What presence shows of each member's connection.</summary>
public sealed record PresenceMeta(string Username, DateTime OnlineAt);

/// <summary><c>presence_count</c>: how many users a room holds, when it holds more than it lists.</summary>
public sealed record PresenceCount(int Count);

/// <summary>Field errors, like an Ecto changeset's: <c>{"errors": {"content": ["can't be blank"]}}</c>.</summary>
public sealed record ErrorsResponse(IReadOnlyDictionary<string, List<string>> Errors)
{
    public static ErrorsResponse From(FieldErrors errors) => new(errors.ByField);
}

/// <summary>One error that concerns no field: <c>{"error": "invalid username or password"}</c>.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>A channel refusal or error: <c>{"reason": "room not found"}</c>.</summary>
public sealed record ReasonResponse(string Reason);
