namespace Chat.Channels;

/// <summary>
/// A channel: the server side of one client's subscription to one topic.
/// </summary>
/// <remarks>
/// <para><b>Topics and routes.</b> A client joins a topic such as <c>room:lobby</c>. The socket
/// handler routes it to a channel type (<c>Channel&lt;RoomChannel&gt;("room:*")</c>), and a
/// fresh instance of that type is created for the join. The instance lives until the client
/// leaves, the socket closes, or the channel stops, so its fields are per-join state.</para>
///
/// <para><b>One message at a time.</b> Every joined channel has a mailbox. Its callbacks run
/// one after another, in arrival order, never concurrently with each other, so a channel needs
/// no locks for its own state. Different channels, even on one socket, run in parallel.</para>
///
/// <para><b>Joining.</b> <see cref="JoinAsync"/> authorizes the client: return
/// <see cref="JoinResult.Ok()"/> (optionally with a reply) to admit it, or
/// <see cref="JoinResult.Error"/> with a reply to refuse it. The channel is subscribed to its
/// topic before <see cref="JoinAsync"/> runs, and broadcasts that arrive during the join are
/// held back and delivered right after the join reply. So a channel that reads history in
/// its join loses nothing published meanwhile: a client sees either the stored copy or the
/// broadcast, and may see both for messages published during the join, never neither. Nothing
/// may be pushed to the client before the join has completed: do work that must follow the
/// reply with <see cref="ChannelSocket.Send"/>, which runs <see cref="HandleInfoAsync"/> next.</para>
///
/// <para><b>Incoming events.</b> <see cref="HandleInAsync"/> receives each event the client
/// pushes, and returns a reply with any status, no reply (to answer later through
/// <see cref="ChannelSocket.Ref"/>), or a stop.</para>
///
/// <para><b>Broadcasts and the fastlane.</b> <see cref="ChannelSocket.BroadcastAsync"/> sends an
/// event to every client on the topic. Its payload is encoded once, framed once per wire
/// format, and the same bytes go to every socket, without entering any channel. Only events
/// named in <see cref="Intercepts"/> take the slow road through <see cref="HandleOutAsync"/>,
/// once per subscriber, where the channel may change or drop them for that one client.</para>
///
/// <para><b>Failures.</b> A callback that throws crashes its channel only: the client gets
/// <c>phx_error</c> <c>{"reason": "channel_crash"}</c> (phoenix.js then rejoins), and the socket
/// and its other channels carry on. <see cref="TerminateAsync"/> runs however a channel ends.</para>
///
/// <para><b>Security.</b> Payloads come from the client and are untrusted: validate every
/// field. Identity comes only from the socket's assigns, which the socket handler set from
/// a verified token, never from a payload.</para>
/// </remarks>
public abstract class Channel
{
    private static readonly object UnknownEventReply = Payload.FromJson("""{"reason":"unknown event"}"""u8.ToArray());

    /// <summary>
    /// Broadcast events that run through <see cref="HandleOutAsync"/> for each subscriber
    /// instead of the fastlane. Read once per join. Empty by default.
    /// </summary>
    public virtual IReadOnlyCollection<string> Intercepts => [];

    /// <summary>Authorizes a client for a topic. Runs first, once.</summary>
    public abstract ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket);

    /// <summary>
    /// Handles an event pushed by the client. The default answers <c>error</c>
    /// <c>{"reason": "unknown event"}</c>.
    /// </summary>
    public virtual ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket) =>
        ValueTask.FromResult(InResult.Error(UnknownEventReply));

    /// <summary>
    /// Handles an intercepted broadcast, once for this subscriber. Push it, change it, or drop
    /// it. The default pushes it unchanged.
    /// </summary>
    public virtual ValueTask HandleOutAsync(string @event, Payload payload, ChannelSocket socket)
    {
        socket.Push(@event, payload);
        return ValueTask.CompletedTask;
    }

    /// <summary>Handles a message the channel sent itself with <see cref="ChannelSocket.Send"/>.</summary>
    public virtual ValueTask HandleInfoAsync(object message, ChannelSocket socket) => ValueTask.CompletedTask;

    /// <summary>
    /// Runs once when the channel ends, whatever the reason: the client left, the socket
    /// closed, a duplicate join replaced it, the server is shutting down, or a callback threw.
    /// </summary>
    public virtual ValueTask TerminateAsync(TerminateReason reason, ChannelSocket socket) => ValueTask.CompletedTask;
}
