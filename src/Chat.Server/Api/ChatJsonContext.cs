using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Messages;
using Chat.Server.Contract;

namespace Chat.Server.Api;

/// <summary>
/// Source-generated JSON for everything the server sends or reads, so neither HTTP nor the
/// sockets reflect over types at run time.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CredentialsRequest))]
[JsonSerializable(typeof(RoomRequest))]
[JsonSerializable(typeof(MessageRequest))]
[JsonSerializable(typeof(RoomJoinRequest))]
[JsonSerializable(typeof(HistoryPageRequest))]
[JsonSerializable(typeof(RoomListPageRequest))]
[JsonSerializable(typeof(EditMessageRequest))]
[JsonSerializable(typeof(MessageIdRequest))]
[JsonSerializable(typeof(ReactionRequest))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(RoomsResponse))]
[JsonSerializable(typeof(RoomResponse))]
[JsonSerializable(typeof(MessagesResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(RoomJoinReply))]
[JsonSerializable(typeof(MessageDeletedEvent))]
[JsonSerializable(typeof(ReactionsEvent))]
[JsonSerializable(typeof(MentionEvent))]
[JsonSerializable(typeof(UnreadResponse))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(Chat.ReadMarkers.UnreadView))]
[JsonSerializable(typeof(TypingEvent))]
[JsonSerializable(typeof(PresenceMeta))]
[JsonSerializable(typeof(PresenceCount))]
[JsonSerializable(typeof(ErrorsResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ReasonResponse))]
[JsonSerializable(typeof(ArchiveRoomLine))]
[JsonSerializable(typeof(ArchiveMessageLine))]
[JsonSerializable(typeof(ArchiveLine))]
[JsonSerializable(typeof(Chat.Server.Auth.RevocationNotice))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
