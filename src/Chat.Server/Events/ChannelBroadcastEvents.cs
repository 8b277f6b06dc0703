using System.Diagnostics;
using Chat.Channels;
using Chat.Server.Telemetry;
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
        foreach (var stored in messages)
        {
            // The sender hears "ok" before its own socket gets the broadcast: both frames
            // enter that socket's send queue here, in this order.
            if (stored.Origin is SocketRef sender)
            {
                using var reply = StartSpan("chat.message.reply", stored);
                sender.Reply("ok", new MessageResponse(stored.Message));
            }

            if (stored.Created)
            {
                using var broadcast = StartSpan("chat.message.broadcast", stored);
                await broadcaster.BroadcastAsync(Topics.Room(stored.RoomSlug), EventNames.NewMessage, stored.Message);
            }
        }
    }
}
