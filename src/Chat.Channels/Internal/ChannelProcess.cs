using Chat.Channels.Internal.Serialization;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Internal;

/// <summary>
/// One joined channel: the <see cref="Channel"/> instance, its mailbox, and its subscription
/// (Phoenix.Channel.Server). Every callback of the channel runs from the mailbox, one at a time.
/// </summary>
internal sealed class ChannelProcess : IBroadcastSubscriber, IMailboxHandler<ChannelProcess.Command>
{
    private static readonly Payload ChannelCrash = Payload.FromJson("""{"reason":"channel_crash"}"""u8.ToArray());
    private static readonly Payload JoinCrashed = Payload.FromJson("""{"reason":"join crashed"}"""u8.ToArray());
    private static readonly Payload UnmatchedTopic = Payload.FromJson("""{"reason":"unmatched topic"}"""u8.ToArray());
    private static readonly Payload MissedBroadcasts = Payload.FromJson("""{"reason":"interrupted"}"""u8.ToArray());

    private readonly Type _channelType;
    // The route pattern (room:*) that matched: the only name of a channel that metrics use.
    private readonly string _route;
    private readonly Mailbox<Command> _mailbox;
    private readonly ChannelSocket _socket;
    // Ended fires from here. Null until someone asks for the token, so a channel nobody
    // cancels anything for pays nothing; EndedSignal once the channel has ended.
    private static readonly CancellationTokenSource EndedSignal = new();

    // Made when someone waits for the end (a rejoin, the socket's close), not for every channel.
    private TaskCompletionSource? _terminated;
    private bool _isTerminated;
    // One lock for the join's hand-over to the fastlane and for the exit monitors: both are
    // short and rare, so the channel shares its socket's (a lock object is 40 bytes of every
    // idle channel). Never held across an await or a callback, so sharing it cannot deadlock.
    private readonly Lock _gate;
    // The first exit monitor, and a list only for those after it: a channel mostly has one (its presence).
    private ExitMonitor? _monitor;
    private List<ExitMonitor>? _moreMonitors;
    private bool _exited;
    private List<Broadcast>? _heldDuringJoin;

    /// <summary>Sequenced broadcasts at or below this position were in the join reply: not sent again.</summary>
    private long _sequencedThrough;
    private Channel? _channel;
    private IServiceScope? _scope;
    private CancellationTokenSource? _ended;
    private InterceptedEvents? _intercepts;
    private IDisposable? _subscription;
    private volatile State _state = State.Joining;
    private volatile bool _interrupted;
    // The socket is gone: what its client queued is dropped instead of run (see ProcessAsync).
    private volatile bool _abandoned;
    private string? _stopRequest;
    private bool _counted;

    public ChannelProcess(SocketConnection connection, Type channelType, string route, string topic, string? joinRef)
    {
        _route = route;
        Connection = connection;
        Topic = topic;
        JoinRef = joinRef;
        _channelType = channelType;
        _gate = connection.Gate;
        _mailbox = new Mailbox<Command>(this);
        _socket = new ChannelSocket(this, connection.Assigns);
    }

    private enum State
    {
        Joining,
        Joined,
        Closed,
    }

    internal enum CommandKind
    {
        Join,
        In,
        Leave,
        Out,
        Info,
        Terminate,
    }

    public SocketConnection Connection { get; }

    public string Topic { get; }

    public string? JoinRef { get; }

    public bool IsJoined => _state == State.Joined;

    /// <summary>The client message being handled, while <see cref="Channel.HandleInAsync"/> runs.</summary>
    public SocketRef? CurrentRef { get; private set; }

    /// <summary>Completes once the channel has ended and its terminate has run.</summary>
    public Task Terminated
    {
        get
        {
            lock (_gate)
            {
                return _isTerminated
                    ? Task.CompletedTask
                    : (_terminated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>Cancelled when the channel ends (see <see cref="ChannelSocket.Ended"/>).</summary>
    public CancellationToken Ended
    {
        get
        {
            var source = Volatile.Read(ref _ended);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _ended, created, null) ?? created;
            }

            return ReferenceEquals(source, EndedSignal) ? new CancellationToken(canceled: true) : source.Token;
        }
    }

    private ChannelsRuntime Runtime => Connection.Runtime;

    /// <summary>Queues the join; <paramref name="cost"/> is what it took from the socket's <see cref="InboundBudget"/>.</summary>
    public void PostJoin(InboundMessage message, long cost) => _mailbox.Post(new Command(CommandKind.Join, message, Cost: cost));

    public void PostLeave(InboundMessage message, long cost) => _mailbox.Post(new Command(CommandKind.Leave, message, Cost: cost));

    public void PostInfo(object info) => _mailbox.Post(new Command(CommandKind.Info, Info: info));

    public void PostTerminate(TerminateReason reason, bool notifyClient)
    {
        if (!notifyClient)
        {
            // Nobody listens any more: set before the terminate is queued, so that whatever
            // the client queued ahead of it is skipped, not run against the database for nobody.
            _abandoned = true;
        }

        _mailbox.Post(new Command(CommandKind.Terminate, Reason: reason, NotifyClient: notifyClient));
        // Cancel now, not when the terminate gets its turn: the callback running meanwhile
        // may be the very work the token is meant to stop. Callers may hold a lock, and the
        // token's callbacks are the application's code, so they run on the thread pool.
        SignalEnded(inline: false);
    }

    /// <summary>Queues a client event, waiting first if the mailbox is full (backpressure on the reader).</summary>
    public async ValueTask PostInAsync(InboundMessage message, long cost, CancellationToken cancellationToken)
    {
        var capacity = Runtime.Options.MailboxCapacity;
        while (!_mailbox.TryPost(new Command(CommandKind.In, message, Cost: cost), capacity))
        {
            await _mailbox.WaitForRoomAsync(capacity).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void RequestStop(string reason) => _stopRequest = reason;

    /// <summary>
    /// Calls <paramref name="onExit"/> once this channel has ended, however it ended: the
    /// client left, the socket closed, a callback crashed, a duplicate join replaced it, the
    /// server shut down, or its join failed. Erlang's monitor on a channel pid, which is how
    /// Phoenix.Presence learns that a tracked channel is gone.
    /// </summary>
    /// <remarks>
    /// The callback runs in this channel's mailbox, after <see cref="Channel.TerminateAsync"/>
    /// and the client's <c>phx_close</c> or <c>phx_error</c>, and before <see cref="Terminated"/>
    /// completes; so a duplicate join, which waits for the channel it replaces, runs after the
    /// old channel's cleanup. Returns <c>null</c> when the channel has already ended (the
    /// callback is not kept); dispose the result to stop monitoring.
    /// </remarks>
    public IDisposable? Monitor(Func<ValueTask> onExit)
    {
        ArgumentNullException.ThrowIfNull(onExit);
        var monitor = new CallbackMonitor(this, onExit);
        return Monitor(monitor) ? monitor : null;
    }

    /// <summary>
    /// <see cref="Monitor(Func{ValueTask})"/> with an object the caller keeps anyway as the
    /// monitor, in place of a callback and what it takes to stop it (a presence entry is its
    /// own: a closure, its delegate and a wrapper were about 140 bytes of every tracked channel).
    /// False when the channel has already ended; <see cref="Demonitor"/> stops it.
    /// </summary>
    public bool Monitor(ExitMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        lock (_gate)
        {
            if (_exited)
            {
                return false;
            }

            if (_monitor is null)
            {
                _monitor = monitor;
            }
            else
            {
                (_moreMonitors ??= []).Add(monitor);
            }

            return true;
        }
    }

    /// <summary>Stops a monitor set with <see cref="Monitor(ExitMonitor)"/>; nothing if it already ran or was stopped.</summary>
    public void Demonitor(ExitMonitor monitor)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_monitor, monitor))
            {
                _moreMonitors?.Remove(monitor);
            }
            else if (_moreMonitors is { Count: > 0 } more)
            {
                // The next in line moves up, so that monitors still run in the order they were set.
                _monitor = more[0];
                more.RemoveAt(0);
            }
            else
            {
                _monitor = null;
            }
        }
    }

    public void Push(string @event, object? payload)
    {
        switch (_state)
        {
            case State.Joining:
                throw new InvalidOperationException($"Cannot push \"{@event}\" to \"{Topic}\" before the join has completed.");
            case State.Joined:
                Connection.SendMessage(JoinRef, null, Topic, @event, Runtime.Encode(payload));
                break;
            default:
                // The channel has ended; the client no longer listens to this join.
                break;
        }
    }

    public ValueTask BroadcastAsync(string @event, object? payload, bool exceptSelf, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        if (_state == State.Joining)
        {
            throw new InvalidOperationException($"Cannot broadcast \"{@event}\" to \"{Topic}\" before the join has completed.");
        }

        var broadcast = new Broadcast(Topic, @event, Runtime.Encode(payload), exceptSelf ? this : null);
        ChannelsMetrics.Published.Add(1);
        return Runtime.PubSub.BroadcastAsync(broadcast, cancellationToken);
    }

    /// <summary>
    /// Receives a broadcast on the topic. The fastlane hands the shared frame straight to the
    /// socket; only intercepted events enter the mailbox.
    /// </summary>
    void IBroadcastSubscriber.Deliver(Broadcast broadcast)
    {
        if (broadcast.IsInterruption)
        {
            // Broadcasts may have been lost: end with phx_error so that the client rejoins
            // and catches up in its join. Queued, so a join under way answers first; and
            // from now on nothing more is forwarded, or the client would see messages after
            // the gap and rejoin from past them.
            _interrupted = true;
            PostTerminate(TerminateReason.Interrupted, notifyClient: true);
            return;
        }

        if (_interrupted)
        {
            return;
        }

        if (_state == State.Joining)
        {
            lock (_gate)
            {
                if (_state == State.Joining)
                {
                    HoldDuringJoin(broadcast);
                    return;
                }
            }
        }

        if (_state == State.Joined)
        {
            DeliverJoined(broadcast);
        }
    }

    private void HoldDuringJoin(Broadcast broadcast)
    {
        _heldDuringJoin ??= [];
        if (_heldDuringJoin.Count >= Runtime.Options.MailboxCapacity)
        {
            Connection.DisconnectSlowConsumer(_heldDuringJoin.Count);
            return;
        }

        _heldDuringJoin.Add(broadcast);
    }

    private void DeliverJoined(Broadcast broadcast)
    {
        if (broadcast.Sequence is { } sequence && sequence.Current <= _sequencedThrough)
        {
            // Held during the join, or published late (after its predecessor, from another
            // node), and already in the join reply.
            return;
        }

        if (_intercepts is { } intercepts && intercepts.Contains(broadcast.Event))
        {
            if (!_mailbox.TryPost(new Command(CommandKind.Out, Broadcast: broadcast), Runtime.Options.MailboxCapacity))
            {
                Connection.DisconnectSlowConsumer(_mailbox.Count);
            }

            return;
        }

        try
        {
            Connection.Send(broadcast.FrameFor(Connection.Serializer));
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            ChannelsLog.UnencodableFrame(Runtime.Logger, ex.Message);
        }
    }

    ValueTask IMailboxHandler<Command>.HandleAsync(Command command) => ProcessAsync(command);

    void IMailboxHandler<Command>.OnHandlerFault(Exception exception) => ChannelsLog.UnexpectedFailure(Runtime.Logger, exception);

    /// <summary>Whatever the command's handling came to, what it took from the socket's budget goes back.</summary>
    void IMailboxHandler<Command>.Handled(Command command) => Connection.Inbound.Release(command.Cost);

    private ValueTask ProcessAsync(Command command)
    {
        if (_abandoned && command.Kind != CommandKind.Terminate)
        {
            // The socket closed: its queued messages, broadcasts and infos are dropped.
            return command.Kind == CommandKind.Join ? AbandonJoinAsync() : ValueTask.CompletedTask;
        }

        return DispatchAsync(command);
    }

    private ValueTask DispatchAsync(Command command) => command.Kind switch
    {
        CommandKind.Join => JoinAsync(command.Message),
        CommandKind.In => HandleInAsync(command.Message),
        CommandKind.Leave => LeaveAsync(command.Message),
        CommandKind.Out => HandleOutAsync(command.Broadcast!),
        CommandKind.Info => HandleInfoAsync(command.Info!),
        CommandKind.Terminate => StopAsync(command.Reason!, command.NotifyClient),
        _ => ValueTask.CompletedTask,
    };

    /// <summary>A join whose socket closed before it ran: it never starts, and the channel ends here.</summary>
    private async ValueTask AbandonJoinAsync()
    {
        lock (_gate)
        {
            _state = State.Closed;
        }

        await ExitAsync().ConfigureAwait(false);
    }

    private async ValueTask JoinAsync(InboundMessage message)
    {
        using var span = ChannelsMetrics.Source.StartActivity("chat.channel.join");
        span?.SetTag("chat.topic", Topic);
        span?.SetTag("chat.route", _route);
        span?.SetTag("chat.socket_id", Connection.Id);
        JoinResult result;
        try
        {
            // A scope per joined channel that asks for scoped services, ended with it, as
            // SignalR gives each hub invocation; none for one that asks for singletons only.
            _channel = Runtime.Channels.Create(_channelType, Runtime.Services, Runtime.Scopes, out _scope);
            _intercepts = InterceptedEvents.For(_channelType, _channel.Intercepts);
            // Subscribe before the channel's join reads any state, so nothing published while
            // it runs is lost: such broadcasts are held and delivered right after the reply.
            _subscription = await Runtime.PubSub.SubscribeAsync(Topic, this).ConfigureAwait(false);
            result = await _channel.JoinAsync(Topic, message.Payload, _socket).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ChannelsLog.JoinCrashed(Runtime.Logger, ex, _channelType.Name, Topic);
            ChannelsMetrics.Joins.Add(1, ChannelsMetrics.Route(_route), ChannelsMetrics.Result("crashed"));
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "join crashed");
            await EndJoinAsync(message, "error", JoinCrashed).ConfigureAwait(false);
            return;
        }

        if (!result.IsJoined)
        {
            ChannelsMetrics.Joins.Add(1, ChannelsMetrics.Route(_route), ChannelsMetrics.Result("error"));
            ChannelsLog.JoinRefused(Runtime.Logger, Connection.Id, Topic);
            span?.SetTag("chat.join.result", "error");
            await EndJoinAsync(message, "error", Runtime.Encode(result.Response)).ConfigureAwait(false);
            return;
        }

        Connection.SendReply(message.JoinRef, message.Ref, Topic, "ok", result.Response);
        lock (_gate)
        {
            _sequencedThrough = result.SequencedThrough;
            foreach (var broadcast in _heldDuringJoin ?? [])
            {
                DeliverJoined(broadcast);
            }

            _heldDuringJoin = null;
            _state = State.Joined;
        }

        _counted = true;
        Runtime.ChannelJoined();
        ChannelsMetrics.Joins.Add(1, ChannelsMetrics.Route(_route), ChannelsMetrics.Result("ok"));
        ChannelsMetrics.ActiveChannels.Add(1, ChannelsMetrics.Route(_route));
        ChannelsLog.Joined(Runtime.Logger, Connection.Id, Topic);
        span?.Dispose();

        await AfterCallbackAsync().ConfigureAwait(false);
    }

    private async ValueTask EndJoinAsync(InboundMessage message, string status, Payload response)
    {
        lock (_gate)
        {
            _state = State.Closed;
            _heldDuringJoin = null;
        }

        SignalEnded(inline: true);
        _subscription?.Dispose();
        // A join may have registered work before it failed (a presence tracked in the join):
        // undo it before the answer, so that a client told its join failed finds no trace of
        // it, in the members' list or in its socket (a rejoin at once is a fresh join).
        await ExitAsync().ConfigureAwait(false);
        Connection.SendReply(message.JoinRef, message.Ref, Topic, status, response);
    }

    private async ValueTask HandleInAsync(InboundMessage message)
    {
        if (_state != State.Joined)
        {
            // The join failed or the channel ended after this message was queued.
            Connection.SendReply(null, message.Ref, Topic, "error", UnmatchedTopic);
            return;
        }

        CurrentRef = new SocketRef(Connection, Topic, JoinRef, message.Ref);
        // The root of a message's trace: what the channel does with it (persist, reply,
        // broadcast, in the chat) happens under this span.
        using var span = ChannelsMetrics.Source.StartActivity("chat.channel.in");
        if (span is not null)
        {
            span.SetTag("chat.topic", Topic);
            span.SetTag("chat.event", message.Event);
            span.SetTag("chat.socket_id", Connection.Id);
        }

        InResult result;
        try
        {
            result = await _channel!.HandleInAsync(message.Event, message.Payload, _socket).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ReferenceEquals(Volatile.Read(ref _ended), EndedSignal))
        {
            // The channel is ending and the callback gave up on Ended, as it was asked to: no
            // crash, and no reply, since its terminate is already queued.
            return;
        }
        catch (Exception ex)
        {
            await CrashAsync(ex).ConfigureAwait(false);
            return;
        }
        finally
        {
            CurrentRef = null;
        }

        if (result.Status is not null)
        {
            Connection.SendReply(JoinRef, message.Ref, Topic, result.Status, result.Response);
        }

        if (result.StopReason is not null)
        {
            _stopRequest ??= result.StopReason;
        }

        await AfterCallbackAsync().ConfigureAwait(false);
    }

    private async ValueTask LeaveAsync(InboundMessage message)
    {
        Connection.SendReply(message.JoinRef ?? JoinRef, message.Ref, Topic, "ok", Payload.Empty);
        await StopAsync(TerminateReason.Left, notifyClient: true).ConfigureAwait(false);
    }

    private async ValueTask HandleOutAsync(Broadcast broadcast)
    {
        if (_state != State.Joined)
        {
            return;
        }

        try
        {
            await _channel!.HandleOutAsync(broadcast.Event, broadcast.Payload, _socket).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await CrashAsync(ex).ConfigureAwait(false);
            return;
        }

        await AfterCallbackAsync().ConfigureAwait(false);
    }

    private async ValueTask HandleInfoAsync(object info)
    {
        if (_state != State.Joined)
        {
            return;
        }

        try
        {
            await _channel!.HandleInfoAsync(info, _socket).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await CrashAsync(ex).ConfigureAwait(false);
            return;
        }

        await AfterCallbackAsync().ConfigureAwait(false);
    }

    private ValueTask AfterCallbackAsync() =>
        _stopRequest is { } reason
            ? StopAsync(new TerminateReason(TerminateKind.Stopped, reason), notifyClient: true)
            : ValueTask.CompletedTask;

    /// <summary>Ends a joined channel: unsubscribe, run terminate, tell the client if it still listens.</summary>
    private async ValueTask StopAsync(TerminateReason reason, bool notifyClient)
    {
        if (_state == State.Closed)
        {
            return;
        }

        _state = State.Closed;
        SignalEnded(inline: true);
        _subscription?.Dispose();
        await RunTerminateAsync(reason).ConfigureAwait(false);
        ChannelsLog.Left(Runtime.Logger, Connection.Id, Topic, reason.Kind);
        if (notifyClient)
        {
            if (reason.Kind == TerminateKind.Interrupted)
            {
                Connection.SendMessage(JoinRef, JoinRef, Topic, "phx_error", MissedBroadcasts);
            }
            else
            {
                Connection.SendMessage(JoinRef, JoinRef, Topic, "phx_close", Payload.Empty);
            }
        }

        await ExitAsync().ConfigureAwait(false);
    }

    private async ValueTask CrashAsync(Exception exception)
    {
        ChannelsLog.ChannelCrashed(Runtime.Logger, exception, _channelType.Name, Topic);
        _state = State.Closed;
        SignalEnded(inline: true);
        _subscription?.Dispose();
        await RunTerminateAsync(new TerminateReason(TerminateKind.Crashed, exception.Message, exception)).ConfigureAwait(false);
        Connection.SendMessage(JoinRef, JoinRef, Topic, "phx_error", ChannelCrash);
        await ExitAsync().ConfigureAwait(false);
    }

    /// <summary>The last step of every ending: forget the channel, run the monitors, then complete <see cref="Terminated"/>.</summary>
    private async ValueTask ExitAsync()
    {
        Connection.Remove(this);
        if (_counted)
        {
            _counted = false;
            Runtime.ChannelExited();
            ChannelsMetrics.ActiveChannels.Add(-1, ChannelsMetrics.Route(_route));
        }

        ExitMonitor? first;
        List<ExitMonitor>? more;
        lock (_gate)
        {
            _exited = true;
            (first, more) = (_monitor, _moreMonitors);
            (_monitor, _moreMonitors) = (null, null);
        }

        if (first is not null)
        {
            await RunMonitorAsync(first).ConfigureAwait(false);
        }

        foreach (var monitor in more ?? [])
        {
            await RunMonitorAsync(monitor).ConfigureAwait(false);
        }

        await DisposeChannelAsync().ConfigureAwait(false);
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            _isTerminated = true;
            waiting = _terminated;
        }

        waiting?.TrySetResult();
    }

    private async ValueTask RunMonitorAsync(ExitMonitor monitor)
    {
        try
        {
            await monitor.OnExitAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ChannelsLog.ExitMonitorFailed(Runtime.Logger, ex, _channelType.Name, Topic);
        }
    }

    /// <summary>Ends the channel's own lifetime: the instance if it is disposable, then its scope.</summary>
    private async ValueTask DisposeChannelAsync()
    {
        try
        {
            switch (_channel)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }

            switch (_scope)
            {
                case IAsyncDisposable asyncScope:
                    await asyncScope.DisposeAsync().ConfigureAwait(false);
                    break;
                case { } scope:
                    scope.Dispose();
                    break;
            }
        }
        catch (Exception ex)
        {
            ChannelsLog.DisposeFailed(Runtime.Logger, ex, _channelType.Name, Topic);
        }
        finally
        {
            _scope = null;
        }
    }

    /// <summary>Fires <see cref="Ended"/>, once.</summary>
    private void SignalEnded(bool inline)
    {
        var source = Interlocked.Exchange(ref _ended, EndedSignal);
        if (source is null || ReferenceEquals(source, EndedSignal))
        {
            return;
        }

        if (inline)
        {
            Cancel(source);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Process.Cancel(state.Source), (Process: this, Source: source), preferLocal: false);
        }
    }

    private void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException ex)
        {
            ChannelsLog.EndedCallbackFailed(Runtime.Logger, ex, _channelType.Name, Topic);
        }
    }

    private async ValueTask RunTerminateAsync(TerminateReason reason)
    {
        try
        {
            await _channel!.TerminateAsync(reason, _socket).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ChannelsLog.TerminateFailed(Runtime.Logger, ex, _channelType.Name, Topic);
        }
    }

    /// <summary>A <see cref="Monitor(Func{ValueTask})"/> callback, and disposing it stops it.</summary>
    private sealed class CallbackMonitor(ChannelProcess process, Func<ValueTask> onExit) : ExitMonitor, IDisposable
    {
        public override ValueTask OnExitAsync() => onExit();

        public void Dispose() => process.Demonitor(this);
    }

    internal readonly record struct Command(
        CommandKind Kind,
        InboundMessage Message = default,
        Broadcast? Broadcast = null,
        object? Info = null,
        TerminateReason? Reason = null,
        bool NotifyClient = false,
        long Cost = 0);
}
