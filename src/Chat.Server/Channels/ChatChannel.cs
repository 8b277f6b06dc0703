using Chat.Channels;
using Chat.Rooms;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Chat.Server.Sockets;

namespace Chat.Server.Channels;

/// <summary>
/// <c>chat:lobby</c> (the seed's <c>chat_channel.ex</c>): the room list, and room creation. Every
/// new room, however it was made, reaches the lobby as <c>room_created</c>, from the context's
/// event rather than from here, so rooms created over HTTP are announced too.
/// </summary>
public sealed class ChatChannel(RoomService rooms, RateLimits limits) : Channel
{
    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) =>
        JoinResult.Ok(new RoomsResponse(await rooms.ListAsync()));

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        if (@event != EventNames.CreateRoom)
        {
            return InResult.Error(ChannelReplies.UnknownEvent);
        }

        if (ChannelReplies.Read<RoomRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        // Counted before it is checked, as over HTTP: a flood of bad names is a flood all the same.
        if (!(await limits.CreateRoomAsync(socket.CurrentUser().Id)).Allowed)
        {
            return InResult.Error(ChannelReplies.RateLimited);
        }

        var result = await rooms.CreateAsync(request.Name, request.Description);
        return result.IsOk ? InResult.Ok(new RoomResponse(result.Value!)) : ChannelReplies.Error(result);
    }
}
