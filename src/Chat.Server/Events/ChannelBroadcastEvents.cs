using Chat.Channels;
using Chat.Server.Api;

namespace Chat.Server.Events;

/// <summary>
/// Puts the context's events on the wire: a new message goes to its room's topic, a new
/// room to the lobby. Whoever wrote it, socket or HTTP, every client sees it.
/// </summary>
internal sealed class ChannelBroadcastEvents(Broadcaster broadcaster) : IChatEvents
{
    public const string LobbyTopic = "chat:lobby";

    public static string RoomTopic(string slug) => "room:" + slug;

    public ValueTask RoomCreatedAsync(RoomView room) =>
        broadcaster.BroadcastAsync(LobbyTopic, "room_created", new RoomResponse(room));

    public async ValueTask MessagesStoredAsync(IReadOnlyList<StoredMessage> messages)
    {
        foreach (var stored in messages)
        {
            // The sender hears "ok" before its own socket gets the broadcast: both frames
            // enter that socket's send queue here, in this order.
            if (stored.Origin is SocketRef sender)
            {
                sender.Reply("ok", new MessageResponse(stored.Message));
            }

            if (stored.Created)
            {
                await broadcaster.BroadcastAsync(RoomTopic(stored.RoomSlug), "new_msg", stored.Message);
            }
        }
    }
}
