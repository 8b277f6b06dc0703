using Chat.Channels;
using Chat.Server.Api;

namespace Chat.Server.Channels;

/// <summary>
/// <c>chat:lobby</c> (the seed's <c>chat_channel.ex</c>): the room list, and room creation. Every
/// new room, however it was made, reaches the lobby as <c>room_created</c>, from the context's
/// event rather than from here, so rooms created over HTTP are announced too.
/// </summary>
public sealed class ChatChannel(ChatService chat) : Channel
{
    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) =>
        JoinResult.Ok(new LobbyJoinReply(await chat.ListRoomsAsync()));

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        if (@event != "create_room")
        {
            return InResult.Error(ChannelReplies.UnknownEvent);
        }

        if (ChannelReplies.Read<CreateRoomPayload>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        var result = await chat.CreateRoomAsync(request.Name, request.Description);
        return result.IsOk ? InResult.Ok(new RoomResponse(result.Value!)) : ChannelReplies.Invalid(result.Errors!);
    }
}
