using Chat.Channels;
using Chat.Rooms;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Chat.Server.Sockets;

namespace Chat.Server.Channels;

/// <summary>
/// <c>chat:lobby</c> (the seed's <c>chat_channel.ex</c>): the room list, a page at a time, and
/// room creation. Every new room, however it was made, reaches the lobby as <c>room_created</c>,
/// from the context's event rather than from here, so rooms created over HTTP are announced too.
/// </summary>
public sealed class ChatChannel(RoomService rooms, RateLimits limits) : Channel
{
    /// <summary>The first page of rooms, as <c>GET /api/rooms</c> gives it; <c>list_rooms</c> reads on.</summary>
    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) =>
        JoinResult.Ok(new RoomsResponse((await rooms.ListAsync(new RoomListRequest())).Value!));

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket) => @event switch
    {
        EventNames.ListRooms => await ListRoomsAsync(payload),
        EventNames.CreateRoom => await CreateRoomAsync(payload, socket),
        _ => InResult.Error(ChannelReplies.UnknownEvent),
    };

    private async ValueTask<InResult> ListRoomsAsync(Payload payload)
    {
        if (ChannelReplies.Read<RoomListPageRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        var page = await rooms.ListAsync(new RoomListRequest(request.After, request.Limit));
        return page.IsOk ? InResult.Ok(new RoomsResponse(page.Value!)) : ChannelReplies.Error(page);
    }

    private async ValueTask<InResult> CreateRoomAsync(Payload payload, ChannelSocket socket)
    {
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
