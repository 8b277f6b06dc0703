using Chat.Channels;
using Chat.Server.Api;

namespace Chat.Server.Events;

/// <summary>
/// Turns the context's events into channel broadcasts: a new message goes to its room's
/// topic, a new room to the lobby. Whoever wrote it, socket or HTTP, every client sees it.
/// </summary>
internal sealed class ChannelBroadcastEvents(Broadcaster broadcaster) : IChatEvents
{
    public const string LobbyTopic = "chat:lobby";

    public static string RoomTopic(string slug) => "room:" + slug;

    public ValueTask RoomCreatedAsync(RoomView room) =>
        broadcaster.BroadcastAsync(LobbyTopic, "room_created", new RoomResponse(room));

    public ValueTask MessageCreatedAsync(MessageView message, string roomSlug) =>
        broadcaster.BroadcastAsync(RoomTopic(roomSlug), "new_msg", message);
}
