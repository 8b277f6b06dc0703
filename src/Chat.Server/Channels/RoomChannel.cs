using Chat.Channels;
using Chat.Messages;
using Chat.Rooms;
using Chat.Server.Contract;
using Chat.Server.Sockets;

namespace Chat.Server.Channels;

/// <summary>
/// <c>room:{slug}</c> (the seed's <c>room_channel.ex</c>): history on join, with gapless catch-up
/// from <c>last_seen_id</c>; durable sends; typing; presence.
/// </summary>
public sealed class RoomChannel(RoomChannelServices services) : Channel
{
    private static readonly object AfterJoin = new();

    private RoomView _room = null!;
    private ChatUser _user = null!;

    // One array for every room channel: an idle channel keeps nothing of its own for it.
    private static readonly string[] Intercepted = [EventNames.Typing];

    /// <summary>
    /// <c>typing</c> is intercepted: it goes to the other members, but not to the sender's
    /// other tabs, which only handle_out can tell apart. <c>new_msg</c> stays on the fastlane.
    /// </summary>
    public override IReadOnlyCollection<string> Intercepts => Intercepted;

    /// <summary>The seed's "subscribe topic": the room must exist; the reply carries what the client lacks.</summary>
    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        var room = await services.Rooms.FindAsync(Topics.RoomSlug(topic));
        if (room is null)
        {
            return JoinResult.Error(ChannelReplies.RoomNotFound);
        }

        var request = ChannelReplies.Read<RoomJoinRequest>(payload);
        if (request is null)
        {
            return JoinResult.Error(ErrorsResponse.From(Validation.FieldErrors.Of("last_seen_id", "is invalid")));
        }

        _room = room;
        _user = socket.CurrentUser();
        // With last_seen_id: everything after it, oldest first, so a reconnecting client gets
        // exactly what it missed, and with last_rev every older message changed meanwhile.
        // Without: the newest page.
        RoomJoinReply reply;
        if (request.LastSeenId is { } lastSeen)
        {
            var catchUp = await services.Messages.CatchUpAsync(room.Id, lastSeen, request.LastRev);
            reply = new RoomJoinReply(room, catchUp.Messages, catchUp.HasMore, catchUp.Changed, catchUp.ChangedMore);
        }
        else
        {
            var page = (await services.Messages.ListAsync(room.Id, new HistoryRequest())).Value!;
            reply = new RoomJoinReply(room, page.Messages, page.HasMore);
        }

        // A room the user opens is one they follow: its unread count starts here.
        await services.Markers.FollowAsync(room, _user);

        // Presence may only be pushed after the join reply; the mailbox runs this next.
        socket.Send(AfterJoin);
        // The client has every message through the newest in the reply: a new_msg of one of
        // them, published while the join read, would be a duplicate. (Not through last_seen_id,
        // which is the client's word and could be past anything this room holds.)
        return JoinResult.Ok(reply, reply.Messages.Count > 0 ? reply.Messages[^1].Id : 0);
    }

    public override async ValueTask HandleInfoAsync(object message, ChannelSocket socket)
    {
        if (ReferenceEquals(message, AfterJoin))
        {
            socket.Push(EventNames.PresenceState, await services.Presence.ListAsync(socket.Topic));
            if (await services.Presence.CountAsync(socket.Topic) is var count && count > services.Channels.PresenceListLimit)
            {
                // A big room lists only the members present longest; the count tells how many there are.
                socket.Push(EventNames.PresenceCount, new PresenceCount(count));
            }

            await services.Presence.TrackAsync(socket, UserKey(_user.Id), new PresenceMeta(_user.Username, Clock.Now(services.Clock)));
        }
    }

    /// <summary>The seed's "handle incoming messages".</summary>
    /// <remarks>
    /// Not async itself: it hands back the handler's own task, so that a send, which waits for
    /// its commit, keeps one state machine less on the heap while it waits.
    /// </remarks>
    public override ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket) => @event switch
    {
        EventNames.NewMessage => NewMessageAsync(payload, socket),
        EventNames.History => HistoryAsync(payload, socket),
        EventNames.Typing => TypingAsync(socket),
        EventNames.MarkRead => MarkReadAsync(payload),
        EventNames.EditMessage => ChangeAsync<EditMessageRequest>(payload, socket,
            (request, origin) => services.Messages.EditAsync(_room, _user, request.Id, request.Content, origin)),
        EventNames.DeleteMessage => ChangeAsync<MessageIdRequest>(payload, socket,
            (request, origin) => services.Messages.DeleteAsync(_room, _user, request.Id, origin)),
        EventNames.React => ChangeAsync<ReactionRequest>(payload, socket,
            (request, origin) => services.Reactions.ReactAsync(_room, _user, request.Id, request.Emoji, origin)),
        EventNames.Unreact => ChangeAsync<ReactionRequest>(payload, socket,
            (request, origin) => services.Reactions.UnreactAsync(_room, _user, request.Id, request.Emoji, origin)),
        _ => ValueTask.FromResult(InResult.Error(ChannelReplies.UnknownEvent)),
    };

    private async ValueTask<InResult> NewMessageAsync(Payload payload, ChannelSocket socket)
    {
        if (ChannelReplies.Read<MessageRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        if (!(await services.Limits.SendAsync(_user.Id)).Allowed)
        {
            return InResult.Error(ChannelReplies.RateLimited);
        }

        var posted = await services.Messages.CreateAsync(_room, _user, request.Content, request.ClientId, origin: socket.Ref);
        if (posted.IsOk)
        {
            // Already answered: the publisher replies to the sender right before it
            // broadcasts, so that the sender hears "ok" first and every member sees
            // messages in id order (ChannelBroadcastEvents).
            return InResult.NoReply;
        }

        return ChannelReplies.Error(posted);
    }

    /// <summary>
    /// An edit, a delete or a reaction. Like a send, it counts against the user's rate limit,
    /// and a change that changed something is answered by the publisher right before its
    /// broadcast; one that changed nothing (a repeated reaction, a second delete) is answered here.
    /// </summary>
    private async ValueTask<InResult> ChangeAsync<TRequest>(
        Payload payload, ChannelSocket socket, Func<TRequest, SocketRef, Task<ChatResult<MessageChange>>> change)
        where TRequest : class
    {
        if (ChannelReplies.Read<TRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        if (!(await services.Limits.SendAsync(_user.Id)).Allowed)
        {
            return InResult.Error(ChannelReplies.RateLimited);
        }

        var result = await change(request, socket.Ref);
        if (!result.IsOk)
        {
            return ChannelReplies.Error(result);
        }

        return result.Value!.Changed ? InResult.NoReply : InResult.Ok(ChangeReplies.For(result.Value));
    }

    /// <summary>Moves the user's read marker; the user's other devices hear <c>read</c> on <c>user:{id}</c>.</summary>
    private async ValueTask<InResult> MarkReadAsync(Payload payload)
    {
        if (ChannelReplies.Read<MessageIdRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        var result = await services.Markers.MarkReadAsync(_room, _user, request.Id);
        return result.IsOk ? InResult.Ok() : ChannelReplies.Error(result);
    }

    /// <summary>An older page. Each is a database read, so a user may ask for only so many a second.</summary>
    private async ValueTask<InResult> HistoryAsync(Payload payload, ChannelSocket socket)
    {
        if (ChannelReplies.Read<HistoryPageRequest>(payload) is not { } request)
        {
            return ChannelReplies.Malformed();
        }

        if (!(await services.Limits.ReadHistoryAsync(_user.Id)).Allowed)
        {
            return InResult.Error(ChannelReplies.RateLimited);
        }

        // Not worth finishing once the client has gone.
        var page = await services.Messages.ListAsync(_room.Id, new HistoryRequest(BeforeId: request.BeforeId, Limit: request.Limit), socket.Ended);
        return page.IsOk ? InResult.Ok(new MessagesResponse(page.Value!.Messages, page.Value.HasMore)) : ChannelReplies.Error(page);
    }

    private async ValueTask<InResult> TypingAsync(ChannelSocket socket)
    {
        // Not stored, and throttled: a notice every keystroke would be noise on the wire.
        if (await services.Limits.TypeAsync(_user.Id, _room.Id))
        {
            await socket.BroadcastFromAsync(EventNames.Typing, new TypingEvent(_user.Id, _user.Username));
        }

        return InResult.Ok();
    }

    /// <summary>The seed's "send messages to the room": per-recipient filtering of intercepted events.</summary>
    public override ValueTask HandleOutAsync(string @event, Payload payload, ChannelSocket socket)
    {
        if (@event == EventNames.Typing && ChannelReplies.Read<TypingEvent>(payload) is { } typing && typing.UserId == _user.Id)
        {
            // The typist's own other tabs do not need to be told that they are typing.
            return ValueTask.CompletedTask;
        }

        socket.Push(@event, payload);
        return ValueTask.CompletedTask;
    }

    /// <summary>The seed's "unsubscribe topic": presence untracks itself when the channel ends, whatever the reason.</summary>
    public override ValueTask TerminateAsync(TerminateReason reason, ChannelSocket socket) => ValueTask.CompletedTask;

    private static string UserKey(long userId) => userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
