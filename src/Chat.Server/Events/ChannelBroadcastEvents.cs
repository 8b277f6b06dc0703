using Chat.Channels;
using Chat.Messages;
using Chat.Rooms;
using Chat.Server.Contract;

namespace Chat.Server.Events;

/// <summary>
/// Puts the context's events on the wire: a new message goes to its room's topic, a new
/// room to the lobby. Whoever wrote it, socket or HTTP, every client sees it. Everything goes
/// through the pubsub, so it reaches every node.
/// </summary>
internal sealed class ChannelBroadcastEvents(Broadcaster broadcaster) : IChatEvents
{
    public ValueTask RoomCreatedAsync(RoomView room) =>
        broadcaster.BroadcastAsync(Topics.Lobby, EventNames.RoomCreated, new RoomResponse(room));

    public async ValueTask MessagesStoredAsync(IReadOnlyList<StoredMessage> messages)
    {
        // One commit's replies and broadcasts reach each socket in one write, not one each.
        using var batch = broadcaster.BeginBatch();
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
                await broadcaster.BroadcastAsync(Topics.Room(stored.RoomSlug), EventNames.NewMessage, stored.Message);
            }
        }
    }
}
