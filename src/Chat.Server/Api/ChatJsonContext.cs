using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Server.Api;

/// <summary>
/// Source-generated JSON for everything the server sends or reads, so neither HTTP nor the
/// sockets reflect over types at run time.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CredentialsRequest))]
[JsonSerializable(typeof(RoomRequest))]
[JsonSerializable(typeof(MessageRequest))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(RoomsResponse))]
[JsonSerializable(typeof(RoomResponse))]
[JsonSerializable(typeof(MessagesResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(ErrorsResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ReasonResponse))]
[JsonSerializable(typeof(Channels.RoomJoinPayload))]
[JsonSerializable(typeof(Channels.NewMessagePayload))]
[JsonSerializable(typeof(Channels.HistoryPayload))]
[JsonSerializable(typeof(Channels.CreateRoomPayload))]
[JsonSerializable(typeof(Channels.RoomJoinReply))]
[JsonSerializable(typeof(Channels.LobbyJoinReply))]
[JsonSerializable(typeof(Channels.TypingEvent))]
[JsonSerializable(typeof(Channels.PresenceMeta))]
[JsonSerializable(typeof(Channels.PresenceCount))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
