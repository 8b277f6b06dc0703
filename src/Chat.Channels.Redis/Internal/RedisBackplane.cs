using System.Diagnostics;
using Chat.Channels.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// This node's link to Redis, shared by the pubsub and the presence tracker: the connection,
/// one Redis subscription per topic that has local subscribers, and the loop that hands what
/// arrives on it to this node's subscribers.
/// </summary>
/// <remarks>
/// <para><b>One publish per broadcast, one encoding per node.</b> A broadcast is published once
/// on its topic's channel; every node subscribed to that topic (every node with members there,
/// the publisher included) decodes it once and hands the same <see cref="Broadcast"/> to its
/// subscribers, which frame it once per wire format. A broadcast that excludes a local
/// subscriber (<c>broadcast_from</c>) is delivered at once on its own node, since only that node
/// knows the subscriber, and marked so that it is not delivered there again.</para>
///
/// <para><b>Subscribed only while needed.</b> The first local subscriber of a topic subscribes
/// this node to the topic's channel, the last one to leave unsubscribes it. Each topic's
/// messages are handled in order, one at a time.</para>
///
/// <para><b>When Redis is away</b>, broadcasts are delivered to this node's own subscribers, so
/// the node keeps working for its own sockets, and <see cref="IsAvailable"/> says it is
/// degraded. A topic's sequenced broadcasts are delivered locally only while they follow one
/// another; at the first one that does not, the topic's channels rejoin. When Redis returns,
/// StackExchange.Redis resubscribes by itself (and this class subscribes whatever it could
/// not), every local topic's channels are told to rejoin (they may have missed broadcasts
/// from other nodes), and every topic this node could not publish to is told the same on
/// every node.</para>
/// </remarks>
internal sealed class RedisBackplane : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly HashSet<string> _unpublished = new(StringComparer.Ordinal);

    /// <summary>Topics whose last subscriber left and whose Redis unsubscribe has not completed yet.</summary>
    private readonly Dictionary<string, Task> _leaving = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly Task<ConnectionMultiplexer> _connecting;
    private ConnectionMultiplexer? _connection;
    private int _downConnections;
    private int _disposed;

    public RedisBackplane(IOptions<RedisChannelsOptions> options, ILoggerFactory loggerFactory)
    {
        Options = options.Value;
        Keys = new RedisKeys(Options.Prefix);
        _logger = loggerFactory.CreateLogger("Chat.Channels.Redis");
        _connecting = ConnectAsync();
    }

    /// <summary>Names this node in Redis; new for every process, so a restarted node is a new node.</summary>
    public Guid NodeId { get; } = Guid.NewGuid();

    public string NodeName => NodeId.ToString("N");

    public RedisChannelsOptions Options { get; }

    public RedisKeys Keys { get; }

    public ILogger Logger => _logger;

    /// <summary>This node's subscribers, whichever way a broadcast reached the node.</summary>
    public LocalSubscriptions Local { get; } = new();

    /// <summary>Told of presence changes from other nodes, and of reconnections.</summary>
    public IPresenceReplica? Presence { get; set; }

    /// <summary>This node's sockets per id, counted in Redis; written again by the presence upkeep when Redis may have lost them.</summary>
    public RedisSocketCounts? SocketCounts { get; set; }

    /// <summary>True while both connections to Redis are up; false while the node is degraded to local delivery.</summary>
    public bool IsAvailable => _connection is { IsConnected: true } && Volatile.Read(ref _downConnections) == 0;

    /// <summary>Completes once the first attempt to connect has ended, whether Redis answered or not.</summary>
    public Task Connected => _connecting;

    /// <summary>The database, once connected (immediately if Redis is up at start).</summary>
    public async ValueTask<IDatabase> DatabaseAsync() => (await _connecting.ConfigureAwait(false)).GetDatabase();

    /// <summary>The database if the connection exists and is up; null while degraded.</summary>
    public IDatabase? AvailableDatabase => IsAvailable ? _connection!.GetDatabase() : null;

    /// <summary>
    /// Takes a reference on a topic's Redis subscription, subscribing on the first. Completes
    /// once Redis confirms the subscription (or at once while Redis is away: it is made when
    /// Redis returns). Give it back with <see cref="Release"/>.
    /// </summary>
    public async ValueTask<TopicState> AcquireAsync(string topic, CancellationToken cancellationToken)
    {
        TopicState state;
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out state!))
            {
                state = new TopicState(topic);
                _topics[topic] = state;
                // Started off this lock: the subscribe takes it again when it completes. After
                // the unsubscribe of a subscription just retired (a channel's rejoin), never beside
                // it: StackExchange.Redis keeps one subscription per channel for all its queues, and
                // an unsubscribe that found its queue the last must not race a new queue onto a
                // subscription the server is about to drop, leaving the node deaf to the topic.
                var leaving = _leaving.GetValueOrDefault(topic);
                var subscribing = state;
                state.Ready = Task.Run(async () =>
                {
                    if (leaving is not null)
                    {
                        await leaving.ConfigureAwait(false);
                    }

                    await SubscribeAsync(subscribing).ConfigureAwait(false);
                });
            }

            state.References++;
        }

        try
        {
            await state.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Release(state);
            throw;
        }

        return state;
    }

    /// <summary>Gives back a reference; the last one unsubscribes the topic.</summary>
    public void Release(TopicState state)
    {
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (--state.References > 0)
            {
                return;
            }

            _topics.Remove(state.Topic);
            _leaving[state.Topic] = left.Task;
        }

        _ = RetireAsync(state, left);
    }

    private async Task RetireAsync(TopicState state, TaskCompletionSource left)
    {
        try
        {
            await UnsubscribeAsync(state).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (_leaving.TryGetValue(state.Topic, out var current) && current == left.Task)
                {
                    _leaving.Remove(state.Topic);
                }
            }

            left.SetResult();
        }
    }

    /// <summary>The topic's subscription state if this node is subscribed to it.</summary>
    public TopicState? Find(string topic)
    {
        lock (_gate)
        {
            return _topics.GetValueOrDefault(topic);
        }
    }

    /// <summary>Publishes a broadcast, or delivers it here only while Redis is away.</summary>
    public void Publish(Broadcast broadcast)
    {
        var deliveredHere = broadcast.Except is not null;
        if (deliveredHere)
        {
            // Only this node knows the excluded subscriber: deliver here now, and let the others
            // hear it through Redis.
            DeliverHere(broadcast);
        }

        var database = AvailableDatabase;
        if (database is null)
        {
            if (!deliveredHere)
            {
                DeliverHere(broadcast);
            }

            MarkUnpublished(broadcast.Topic);
            return;
        }

        var channel = Keys.Topic(broadcast.Topic);
        Task task;
        try
        {
            if (broadcast.Sequence is { } sequence)
            {
                var body = Envelope.EncodeBroadcast(broadcast, NodeId, deliveredAtOrigin: false, withKind: false);
                task = PublishSequencedAsync(database, broadcast, sequence, channel, body);
            }
            else
            {
                var message = Envelope.EncodeBroadcast(broadcast, NodeId, deliveredHere, withKind: true);
                // Not awaited: commands on one connection go out in the order they are issued,
                // so the topic's order holds without a round trip per broadcast.
                task = database.PublishAsync(channel, message);
            }
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            PublishFailed(broadcast, deliveredHere, ex);
            return;
        }

        if (!task.IsCompletedSuccessfully)
        {
            _ = ObservePublishAsync(task, broadcast, deliveredHere);
        }
    }

    private async Task PublishSequencedAsync(IDatabase database, Broadcast broadcast, BroadcastSequence sequence, RedisChannel channel, byte[] body)
    {
        var keys = new RedisKey[] { Keys.Sequence(broadcast.Topic) };
        var result = (long)await SequenceScripts.Publish.EvaluateAsync(database, keys,
            [(RedisValue)channel.ToString(), sequence.Previous, sequence.Current, body]).ConfigureAwait(false);
        if (result == 1)
        {
            // Waiting for its predecessor, which another node stored first. If that node died
            // before publishing it, this one goes out as a resync after the timeout.
            _ = ForceAfterTimeoutAsync(database, keys, channel, sequence);
        }
    }

    private async Task ForceAfterTimeoutAsync(IDatabase database, RedisKey[] keys, RedisChannel channel, BroadcastSequence sequence)
    {
        await Task.Delay(Options.SequenceGapTimeout).ConfigureAwait(false);
        try
        {
            await SequenceScripts.Force.EvaluateAsync(database, keys, [(RedisValue)channel.ToString(), sequence.Previous, sequence.Current]).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Redis is away: when it returns, every node's channels rejoin anyway.
        }
    }

    private async Task ObservePublishAsync(Task task, Broadcast broadcast, bool deliveredHere)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PublishFailed(broadcast, deliveredHere, ex);
        }
    }

    private void PublishFailed(Broadcast broadcast, bool deliveredHere, Exception exception)
    {
        RedisLog.PublishFailed(_logger, exception, broadcast.Topic);
        if (!deliveredHere)
        {
            DeliverHere(broadcast);
        }

        MarkUnpublished(broadcast.Topic);
    }

    /// <summary>
    /// Delivers to this node's subscribers without Redis. A sequenced broadcast is delivered
    /// only if it follows the last one delivered here; otherwise members may lack the ones in
    /// between (stored by other nodes), so the topic's channels rejoin instead.
    /// </summary>
    private void DeliverHere(Broadcast broadcast)
    {
        if (broadcast.Sequence is not { } sequence)
        {
            Local.Deliver(broadcast);
            return;
        }

        var state = Find(broadcast.Topic);
        if (state is null)
        {
            return;
        }

        lock (state)
        {
            if (state.LastSequence == sequence.Previous)
            {
                state.LastSequence = sequence.Current;
                Local.Deliver(broadcast);
                return;
            }

            state.LastSequence = sequence.Current;
        }

        Interrupt(broadcast.Topic);
    }

    private void MarkUnpublished(string topic)
    {
        lock (_unpublished)
        {
            _unpublished.Add(topic);
        }
    }

    /// <summary>Makes the topic's local channels rejoin.</summary>
    public void Interrupt(string topic)
    {
        RedisLog.TopicInterrupted(_logger, topic);
        Local.Interrupt(topic);
    }

    private async Task SubscribeAsync(TopicState state)
    {
        try
        {
            var connection = await _connecting.ConfigureAwait(false);
            var queue = await connection.GetSubscriber().SubscribeAsync(Keys.Topic(state.Topic)).ConfigureAwait(false);
            queue.OnMessage(message => Receive(state, message));
            lock (_gate)
            {
                // Retired meanwhile: the release's unsubscribe, which waits for this, takes it.
                // (Unsubscribing here would wait for this very task.)
                state.Queue = queue;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Not fatal: local delivery works meanwhile, and the restore subscribes it.
            RedisLog.SubscribeFailed(_logger, ex, state.Topic);
        }
    }

    private async Task UnsubscribeAsync(TopicState state)
    {
        await state.Ready.ConfigureAwait(false);
        ChannelMessageQueue? queue;
        lock (_gate)
        {
            queue = state.Queue;
            state.Queue = null;
        }

        if (queue is null)
        {
            return;
        }

        try
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis dropped the subscription with the connection, or will when it returns:
            // SE.Redis no longer resubscribes a queue that was unsubscribed.
            RedisLog.UnsubscribeFailed(_logger, ex, state.Topic);
        }
    }

    private void Receive(TopicState state, ChannelMessage message)
    {
        var bytes = (ReadOnlyMemory<byte>)(byte[])message.Message!;
        if (bytes.IsEmpty)
        {
            return;
        }

        try
        {
            switch (bytes.Span[0])
            {
                case Envelope.Broadcast or Envelope.Resync:
                    ReceiveBroadcast(state, Envelope.DecodeBroadcast(state.Topic, bytes));
                    break;
                case Envelope.Interrupt:
                    lock (state)
                    {
                        state.LastSequence = 0;
                    }

                    Interrupt(state.Topic);
                    break;
                case Envelope.PresenceJoin or Envelope.PresenceLeave:
                    Presence?.Apply(state.Topic, bytes);
                    break;
            }
        }
        catch (FormatException ex)
        {
            RedisLog.UnreadableMessage(_logger, ex, state.Topic);
        }
    }

    private void ReceiveBroadcast(TopicState state, ReceivedBroadcast received)
    {
        if (received.DeliveredAtOrigin && received.Origin == NodeId)
        {
            return;
        }

        if (received.Broadcast.Sequence is { } sequence)
        {
            bool gap;
            lock (state)
            {
                if (sequence.Current <= state.LastSequence && !received.Resync)
                {
                    return; // already delivered here
                }

                // A resync, or a broadcast that does not follow the last one delivered here
                // (one was lost on the way): members may lack some, so they rejoin instead.
                gap = received.Resync || (state.LastSequence != 0 && sequence.Previous != state.LastSequence);
                state.LastSequence = Math.Max(state.LastSequence, sequence.Current);
            }

            if (gap)
            {
                Interrupt(state.Topic);
                return;
            }
        }

        Local.Deliver(received.Broadcast);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = Options.Configuration.Clone();
        // Start, and keep serving this node's own sockets, while Redis is away; never queue
        // commands for later (a broadcast delivered late is worse than one delivered here).
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "chat-" + NodeName;
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        connection.ConnectionFailed += OnConnectionFailed;
        connection.ConnectionRestored += OnConnectionRestored;
        _connection = connection;
        _ = LoadScriptsAsync(connection.GetDatabase());
        await UntilSubscriberConnectedAsync(connection, TimeSpan.FromMilliseconds(configuration.ConnectTimeout)).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// StackExchange.Redis may finish connecting once the interactive connection is up, with the
    /// subscription connection still on its way (more often on a busy machine). Subscribing then
    /// fails at once, and the topic's channels are made to rejoin when it arrives: so this node
    /// starts once both are up, or once the connect timeout has passed.
    /// </summary>
    private static async Task UntilSubscriberConnectedAsync(ConnectionMultiplexer connection, TimeSpan timeout)
    {
        var subscriber = connection.GetSubscriber();
        var started = Stopwatch.GetTimestamp();
        while (connection.IsConnected && !subscriber.IsConnected() && Stopwatch.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Every script, loaded ahead of its first call (again after Redis restarts, since it forgets them).</summary>
    private static readonly RedisScript[] Scripts =
    [
        SequenceScripts.Publish, SequenceScripts.Force,
        PresenceScripts.Track, PresenceScripts.Untrack, PresenceScripts.Heartbeat, PresenceScripts.Sweep,
        RedisSocketCounts.Claim, RedisSocketCounts.Replace,
    ];

    private static async Task LoadScriptsAsync(IDatabase database)
    {
        try
        {
            await Task.WhenAll(Scripts.Select(script => script.LoadAsync(database))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A script Redis lacks is sent with the call that needs it.
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        Interlocked.Or(ref _downConnections, Bit(e.ConnectionType));
        RedisLog.ConnectionLost(_logger, e.Exception, e.ConnectionType.ToString(), e.FailureType.ToString());
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        var bit = Bit(e.ConnectionType);
        var wasLost = (Interlocked.And(ref _downConnections, ~bit) & bit) != 0;
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            _ = RecoverSubscriptionsAsync(wasLost);
        }
        else if (e.ConnectionType == ConnectionType.Interactive)
        {
            _ = LoadScriptsAsync(_connection!.GetDatabase());
            _ = RecoverPublishesAsync();
        }
    }

    private static int Bit(ConnectionType type) => type switch
    {
        ConnectionType.Interactive => 1,
        ConnectionType.Subscription => 2,
        _ => 0,
    };

    /// <summary>
    /// The subscription connection is back: subscribe whatever could not be, and make the
    /// channels of every topic that may have missed broadcasts from other nodes rejoin. After
    /// an outage that is every local topic. StackExchange.Redis reports a first connect as a
    /// restore too: then only the topics that could not subscribe before it (it came after the
    /// connect timeout) missed anything, and the topics subscribed since must not be disturbed.
    /// </summary>
    private async Task RecoverSubscriptionsAsync(bool afterOutage)
    {
        TopicState[] states;
        lock (_gate)
        {
            states = [.. _topics.Values.Where(state => afterOutage || (state.Queue is null && state.Ready.IsCompleted))];
            if (states.Length == 0 && !afterOutage)
            {
                return;
            }

            foreach (var state in states)
            {
                if (state.Queue is null && state.Ready.IsCompleted)
                {
                    state.Ready = Task.Run(() => SubscribeAsync(state));
                }
            }
        }

        foreach (var state in states)
        {
            await state.Ready.ConfigureAwait(false);
            lock (state)
            {
                state.LastSequence = 0;
            }

            Local.Interrupt(state.Topic);
        }

        RedisLog.ConnectionRestored(_logger, nameof(ConnectionType.Subscription), states.Length);
        if (Presence is { } presence)
        {
            await presence.RestoredAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The interactive connection is back: every topic that missed a publish of this node is
    /// told so on every node, whose channels there rejoin to catch up.
    /// </summary>
    private async Task RecoverPublishesAsync()
    {
        string[] topics;
        lock (_unpublished)
        {
            topics = [.. _unpublished];
            _unpublished.Clear();
        }

        var database = AvailableDatabase;
        if (database is null)
        {
            return;
        }

        var interrupt = new[] { Envelope.Interrupt };
        foreach (var topic in topics)
        {
            try
            {
                await database.PublishAsync(Keys.Topic(topic), interrupt).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                RedisLog.PublishFailed(_logger, ex, topic);
                MarkUnpublished(topic);
            }
        }
    }

    /// <summary>For a container disposed synchronously (a command-line run, say).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            var connection = await _connecting.ConfigureAwait(false);
            await connection.CloseAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Nothing to close.
        }
    }

    /// <summary>One topic this node is subscribed to. Counts under the backplane's gate; the sequence under its own lock.</summary>
    internal sealed class TopicState(string topic)
    {
        public string Topic { get; } = topic;

        public int References { get; set; }

        public Task Ready { get; set; } = Task.CompletedTask;

        public ChannelMessageQueue? Queue { get; set; }

        /// <summary>The last sequenced broadcast delivered here; 0 when unknown.</summary>
        public long LastSequence { get; set; }
    }
}

/// <summary>What the backplane tells the presence tracker.</summary>
internal interface IPresenceReplica
{
    /// <summary>A presence change from Redis, on a topic this node is subscribed to, in the topic's order.</summary>
    void Apply(string topic, ReadOnlyMemory<byte> message);

    /// <summary>Redis is back after an outage.</summary>
    ValueTask RestoredAsync();
}
