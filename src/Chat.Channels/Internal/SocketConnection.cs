using System.Net.WebSockets;
using Chat.Channels.Internal.Serialization;
using Chat.Channels.PubSub;

namespace Chat.Channels.Internal;

/// <summary>
/// One client connection after connect: its joined channels, and the routing of every
/// decoded client message (Phoenix.Socket's <c>handle_in</c>). Transport-agnostic: frames go
/// out through an <see cref="ISocketTransport"/>, so the channel test harness drives the
/// same engine as the WebSocket endpoint.
/// </summary>
internal sealed class SocketConnection : IBroadcastSubscriber
{
    private const string PhoenixTopic = "phoenix";

    private static readonly Payload UnmatchedTopic = Payload.FromJson("""{"reason":"unmatched topic"}"""u8.ToArray());
    private static readonly Payload TooManyChannels = Payload.FromJson("""{"reason":"too many channels joined"}"""u8.ToArray());

    /// <summary>The close code of a socket whose credentials expired (CONTRACT.md §3): connect again with new ones.</summary>
    internal const WebSocketCloseStatus CredentialsExpired = (WebSocketCloseStatus)4001;

    private readonly ChannelsRuntime _runtime;
    private readonly SocketHandler _handler;
    private readonly ISocketTransport _transport;
    private readonly ChannelTable _channels = new();
    // Also the lock of every channel of this socket (ChannelProcess): their uses are short and
    // rare, and a lock object is 40 bytes of every idle channel.
    private readonly Lock _gate = new();
    // Cancelled when the transport closes: a reader held back by this socket's own backlog
    // stops waiting, so the socket ends and its queued work is dropped instead of run.
    private readonly CancellationTokenSource _closing = new();
    private readonly DateTimeOffset? _expiresAt;
    private IDisposable? _idSubscription;
    private bool _expiryScheduled;
    private bool _terminated;

    public SocketConnection(
        ChannelsRuntime runtime,
        SocketHandler handler,
        MessageSerializer serializer,
        ConnectResult connection,
        ISocketTransport transport)
    {
        _runtime = runtime;
        _handler = handler;
        _transport = transport;
        Serializer = serializer;
        // Copied into one small array: the socket keeps its assigns for its whole life.
        Assigns = connection.Assigns is { Count: > 0 and <= SmallAssigns.MaxCount } few ? new SmallAssigns(few) : connection.Assigns;
        Id = connection.Id;
        _expiresAt = connection.ExpiresAt;
        Inbound = new InboundBudget(runtime.Options.MaxQueuedInboundBytes, _gate);
    }

    /// <summary>The socket's lock, which its channels share (see <see cref="ChannelProcess"/>).</summary>
    internal Lock Gate => _gate;

    /// <summary>The bytes of client messages queued for this socket's channels and not yet handled.</summary>
    public InboundBudget Inbound { get; }

    public MessageSerializer Serializer { get; }

    public IReadOnlyDictionary<string, object?> Assigns { get; }

    public string? Id { get; }

    public ChannelsRuntime Runtime => _runtime;

    public int ChannelCount
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>
    /// Subscribes to the socket's id topic, where <c>disconnect</c> arrives, and sets the close
    /// for when its credentials expire.
    /// </summary>
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (Id is not null)
        {
            _idSubscription = await _runtime.PubSub.SubscribeAsync(Id, this, cancellationToken).ConfigureAwait(false);
        }

        if (_expiresAt is { } expiresAt)
        {
            bool scheduled;
            lock (_gate)
            {
                scheduled = _expiryScheduled = !_terminated && _runtime.Expiries.Add(this, expiresAt);
            }

            if (!scheduled)
            {
                CloseForExpiredCredentials();
            }
        }
    }

    /// <summary>When the socket's credentials expire, if they do.</summary>
    public DateTimeOffset? ExpiresAt => _expiresAt;

    /// <summary>Closes the socket with 4001 once its credentials have expired (a no-op for one already ended).</summary>
    internal void CloseForExpiredCredentials()
    {
        if (_expiresAt is null || _expiresAt > _runtime.Clock.GetUtcNow())
        {
            return;
        }

        ChannelsLog.CredentialsExpired(_runtime.Logger, Id);
        _transport.Close(CredentialsExpired, "token expired");
    }

    /// <summary>
    /// Routes one client message. The returned task completes once the message is queued; it
    /// waits while the socket's <see cref="Inbound"/> budget is spent, the target channel's
    /// mailbox is full, or a channel that a rejoin replaces is closing, which holds back the
    /// reader. It fails with <see cref="OperationCanceledException"/> once the socket is closing.
    /// </summary>
    public ValueTask HandleAsync(InboundMessage message)
    {
        ChannelsMetrics.MessagesReceived.Add(1);
        if (message.Topic == PhoenixTopic && message.Event == "heartbeat")
        {
            SendReply(null, message.Ref, PhoenixTopic, "ok", Payload.Empty);
            return ValueTask.CompletedTask;
        }

        return message.Event switch
        {
            "phx_join" => HandleJoinAsync(message),
            "phx_leave" => HandleLeaveAsync(message),
            _ => HandleEventAsync(message),
        };
    }

    /// <summary>
    /// A join. Joining a topic that is already joined closes the old channel first, and the
    /// reader waits until it has closed (as Phoenix's socket closes the old channel process
    /// before it starts the new one), so the cap below counts every channel still alive and a
    /// client that rejoins one topic in a loop holds one closing channel, not a chain of them.
    /// </summary>
    private async ValueTask HandleJoinAsync(InboundMessage message)
    {
        var route = _handler.Router.MatchRoute(message.Topic);
        var cost = InboundBudget.CostOf(message);
        await Inbound.TakeAsync(cost, _closing.Token).ConfigureAwait(false);
        var posted = false;
        try
        {
            while (true)
            {
                ChannelProcess? previous;
                lock (_gate)
                {
                    if (_terminated)
                    {
                        return;
                    }

                    previous = _channels.Find(message.Topic);
                    if (previous is not null)
                    {
                        ChannelsLog.DuplicateJoin(_runtime.Logger, message.Topic);
                    }
                    else if (route is not { } matched)
                    {
                        ChannelsMetrics.Joins.Add(1, ChannelsMetrics.Route("none"), ChannelsMetrics.Result("unmatched"));
                        ChannelsLog.UnmatchedTopic(_runtime.Logger, message.Topic);
                        SendReply(null, message.Ref, message.Topic, "error", UnmatchedTopic);
                        return;
                    }
                    else if (_channels.Count >= _runtime.Options.MaxChannelsPerSocket)
                    {
                        ChannelsMetrics.Joins.Add(1, ChannelsMetrics.Route(matched.Pattern), ChannelsMetrics.Result("too_many_channels"));
                        ChannelsLog.TooManyChannels(_runtime.Logger, Id, _runtime.Options.MaxChannelsPerSocket);
                        SendReply(message.JoinRef, message.Ref, message.Topic, "error", TooManyChannels);
                        return;
                    }
                    else
                    {
                        var process = new ChannelProcess(this, matched.ChannelType, matched.Pattern, message.Topic, message.JoinRef ?? message.Ref);
                        _channels.Set(process);
                        process.PostJoin(message, cost);
                        posted = true;
                        return;
                    }
                }

                // Its phx_close and its presence leave go out before the new join answers.
                previous.PostTerminate(TerminateReason.DuplicateJoin, notifyClient: true);
                await previous.Terminated.WaitAsync(_closing.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!posted)
            {
                Inbound.Release(cost);
            }
        }
    }

    private async ValueTask HandleLeaveAsync(InboundMessage message)
    {
        var process = Find(message.Topic);
        if (process is null)
        {
            // Leaving a topic that is not joined is already done; Phoenix answers ok too.
            SendReply(message.JoinRef, message.Ref, message.Topic, "ok", Payload.Empty);
        }
        else if (message.JoinRef is null || message.JoinRef == process.JoinRef)
        {
            var cost = InboundBudget.CostOf(message);
            await Inbound.TakeAsync(cost, _closing.Token).ConfigureAwait(false);
            process.PostLeave(message, cost);
        }

        // Otherwise the leave names an older join that the server already closed: ignore it.
    }

    private async ValueTask HandleEventAsync(InboundMessage message)
    {
        var process = Find(message.Topic);
        if (process is null)
        {
            SendReply(null, message.Ref, message.Topic, "error", UnmatchedTopic);
            return;
        }

        if (message.JoinRef is not null && message.JoinRef != process.JoinRef)
        {
            // A stale join_ref: the client is still talking to a join it has since replaced.
            return;
        }

        var cost = InboundBudget.CostOf(message);
        await Inbound.TakeAsync(cost, _closing.Token).ConfigureAwait(false);
        try
        {
            await process.PostInAsync(message, cost, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Inbound.Release(cost);
            throw;
        }
    }

    private ChannelProcess? Find(string topic)
    {
        lock (_gate)
        {
            return _channels.Find(topic);
        }
    }

    /// <summary>Forgets a channel that ended, unless a newer join already took its topic.</summary>
    public void Remove(ChannelProcess process)
    {
        lock (_gate)
        {
            _channels.Remove(process);
        }
    }

    public void SendReply(string? joinRef, string? @ref, string topic, string status, object? response) =>
        SendReply(joinRef, @ref, topic, status, _runtime.Encode(response));

    public void SendReply(string? joinRef, string? @ref, string topic, string status, Payload response) =>
        SendEncoded(static (s, state) => s.EncodeReply(state.joinRef, state.@ref, state.topic, state.status, state.response),
            (joinRef, @ref, topic, status, response), isReply: true);

    public void SendMessage(string? joinRef, string? @ref, string topic, string @event, Payload payload) =>
        SendEncoded(static (s, state) => s.EncodeMessage(state.joinRef, state.@ref, state.topic, state.@event, state.payload),
            (joinRef, @ref, topic, @event, payload), isReply: false);

    /// <summary>Sends a frame as is; used by the fastlane, where the frame is shared.</summary>
    public void Send(OutboundFrame frame) => _transport.Send(frame);

    /// <summary>Disconnects the client because it cannot keep up with what it is sent.</summary>
    public void DisconnectSlowConsumer(int pending)
    {
        ChannelsMetrics.SlowConsumers.Add(1);
        ChannelsLog.SlowConsumer(_runtime.Logger, Id, pending);
        _transport.Close(WebSocketCloseStatus.PolicyViolation, "slow consumer");
    }

    private void SendEncoded<TState>(Func<MessageSerializer, TState, OutboundFrame> encode, TState state, bool isReply)
    {
        OutboundFrame frame;
        try
        {
            frame = encode(Serializer, state);
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            // A binary payload for a 1.0.0 client, or a field too long for a binary frame.
            ChannelsLog.UnencodableFrame(_runtime.Logger, ex.Message);
            return;
        }

        if (isReply)
        {
            _transport.SendReply(frame);
        }
        else
        {
            _transport.Send(frame);
        }

        ChannelsMetrics.MessagesSent.Add(1);
    }

    /// <summary>The socket id topic's broadcasts: only <c>disconnect</c> means anything there.</summary>
    void IBroadcastSubscriber.Deliver(Broadcast broadcast)
    {
        if (broadcast.Event == "disconnect")
        {
            // 1001, not 1000: phoenix.js reconnects after anything but a normal closure,
            // and the client must come back to find out that its token no longer works.
            _transport.Close(WebSocketCloseStatus.EndpointUnavailable, "disconnected");
        }
    }

    /// <summary>
    /// Tells the socket that its transport is closing: the reader stops waiting for room, and
    /// whatever the client queued is no longer worth running. Safe to call more than once, from
    /// any thread, under the transport's lock (the wake-ups run on the thread pool).
    /// </summary>
    public void StopReading()
    {
        if (!_closing.IsCancellationRequested)
        {
            _ = _closing.CancelAsync();
        }
    }

    /// <summary>
    /// Ends every channel of the socket, once, after the transport is gone. Each channel's
    /// terminate runs in its own mailbox, after whatever it was doing.
    /// </summary>
    public Task TerminateAsync(TerminateReason reason)
    {
        ChannelProcess[] processes;
        lock (_gate)
        {
            if (_terminated)
            {
                return Task.CompletedTask;
            }

            _terminated = true;
            processes = _channels.TakeAll();
        }

        StopReading();
        _idSubscription?.Dispose();
        bool unschedule;
        lock (_gate)
        {
            unschedule = _expiryScheduled;
            _expiryScheduled = false;
        }

        if (unschedule)
        {
            _runtime.Expiries.Remove(this, _expiresAt!.Value);
        }

        foreach (var process in processes)
        {
            process.PostTerminate(reason, notifyClient: false);
        }

        return Task.WhenAll(processes.Select(p => p.Terminated));
    }
}
