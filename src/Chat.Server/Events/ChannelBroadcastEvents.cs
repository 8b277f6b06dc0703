using System.Diagnostics;
using System.Text.Json;
using Chat.Channels;
using Chat.Channels.PubSub;
using Chat.Server.Telemetry;
using Chat.Messages;
using Chat.ReadMarkers;
using Chat.Rooms;
using Chat.Server.Contract;
using Microsoft.Extensions.Options;

namespace Chat.Server.Events;

/// <summary>
/// Puts the context's events on the wire: a new message or a change goes to its room's
/// topic, a new room to the lobby, a mention and a moved read marker to the user's topic.
/// Whoever wrote it, socket or HTTP, every client sees it. Everything goes through the
/// pubsub, so it reaches every node.
/// </summary>
internal sealed class ChannelBroadcastEvents(Broadcaster broadcaster, IOptions<ChannelsOptions> channels) : IChatEvents
{
    private readonly JsonSerializerOptions _json = channels.Value.JsonSerializerOptions;

    public ValueTask RoomCreatedAsync(RoomView room) =>
        broadcaster.BroadcastAsync(Topics.Lobby, EventNames.RoomCreated, new RoomResponse(room));

    /// <summary>A span under the one the message was sent with, when it was sent under one.</summary>
    private static Activity? StartSpan(string name, StoredMessage stored)
    {
        if (stored.Trace == default)
        {
            return null;
        }

        var span = ServerDiagnostics.Source.StartActivity(name, ActivityKind.Internal, stored.Trace);
        span?.SetTag("chat.message.id", stored.Message.Id);
        span?.SetTag("chat.topic", Topics.Room(stored.RoomSlug));
        return span;
    }

    public async ValueTask MessagesStoredAsync(IReadOnlyList<StoredMessage> messages)
    {
        // One commit's replies and broadcasts reach each socket in one write, not one each.
        using var batch = broadcaster.BeginBatch();
        foreach (var stored in messages)
        {
            // The reply and the broadcast carry the same message: it is encoded once, here.
            var message = Payload.From(stored.Message, _json);

            // The sender hears "ok" before its own socket gets the broadcast: both frames
            // enter that socket's send queue here, in this order.
            if (stored.Origin is SocketRef sender)
            {
                using var reply = StartSpan("chat.message.reply", stored);
                sender.Reply("ok", MessageResponse.Around(message));
            }

            if (!stored.Created)
            {
                continue;
            }

            using (StartSpan("chat.message.broadcast", stored))
            {
                // Nodes commit in turn but publish on their own: the sequence lets the pubsub
                // deliver a room's messages in id order whichever node stored each.
                var topic = Topics.Room(stored.RoomSlug);
                await (stored.PreviousId is { } previous
                    ? broadcaster.BroadcastAsync(topic, EventNames.NewMessage, message, new BroadcastSequence(previous, stored.Message.Id))
                    : broadcaster.BroadcastAsync(topic, EventNames.NewMessage, message));
            }

            await MentionAsync(stored.Mentioned, stored.Message, stored.Room);
        }
    }

    public ValueTask ReadMarkerMovedAsync(long userId, UnreadView unread) =>
        broadcaster.BroadcastAsync(Topics.User(userId), EventNames.Read, unread);

    /// <summary>Tells each mentioned user, on every device, wherever they are.</summary>
    private async ValueTask MentionAsync(IReadOnlyList<long> users, MessageView message, RoomView room)
    {
        if (users.Count == 0)
        {
            return;
        }

        var mention = new MentionEvent(message, room);
        foreach (var userId in users)
        {
            await broadcaster.BroadcastAsync(Topics.User(userId), EventNames.Mention, mention);
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
                await MentionAsync(change.Mentioned, message, change.Room);
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
