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

    /// <summary>An edit, a delete or a reaction change: to the room's topic, after its author hears "ok".</summary>
    public async ValueTask MessageChangedAsync(MessageChange change)
    {
        if (change.Origin is SocketRef sender)
        {
            sender.Reply("ok", ChangeReplies.For(change));
        }

        var message = change.Message;
        var topic = Topics.Room(change.Room.Slug);
        switch (change.Kind)
        {
            case MessageChangeKind.Edited:
                await broadcaster.BroadcastAsync(topic, EventNames.MessageUpdated, message);
                break;
            case MessageChangeKind.Deleted:
                await broadcaster.BroadcastAsync(topic, EventNames.MessageDeleted, new MessageDeletedEvent(message.Id, message.RoomId, message.Rev));
                break;
            case MessageChangeKind.Reactions:
                await broadcaster.BroadcastAsync(topic, EventNames.Reactions, new ReactionsEvent(message.Id, message.RoomId, message.Reactions, message.Rev));
                break;
        }
    }
}
