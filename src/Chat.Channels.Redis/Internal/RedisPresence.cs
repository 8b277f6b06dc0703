using System.Globalization;
using System.Text;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.Presence;
using Chat.Channels.PubSub;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// <see cref="IPresence"/> across nodes. Redis holds every topic's entries; each node keeps a
/// replica of the topics its members are on, and computes and sends the diffs to its own
/// members, as Phoenix.Tracker's nodes do.
/// </summary>
/// <remarks>
/// <para><b>One order for every node.</b> Every change is a script that updates a topic's
/// presence hash and publishes the change on the topic's channel, so a replica that loads
/// the hash and then applies what the channel brings sees every change once. Each entry gets
/// a seq from the topic's counter in the same script: that is the tracking order
/// <see cref="PresenceView"/> lists keys by, so every node lists the same keys. A node
/// applies its own changes to its replica at once and skips them when they come back.</para>
///
/// <para><b>Nodes that die.</b> Each node renews a heartbeat every quarter of
/// <see cref="RedisChannelsOptions.NodeTimeout"/>, and looks for nodes whose heartbeat is older
/// than the timeout: one script removes all of a dead node's entries and publishes their
/// leaves, so a node killed without a goodbye leaves everyone's presence within about 1.25
/// times the timeout. A node that finds it was taken for dead (a long pause) puts its entries
/// back.</para>
///
/// <para><b>When Redis is away</b>, tracking goes on in the local replica, and what could not be
/// written is written when Redis returns: missing entries put back, untracked ones removed,
/// and every replica compared with Redis again.</para>
/// </remarks>
internal sealed class RedisPresence : IPresence, IPresenceReplica, IAsyncDisposable, IDisposable
{
    private readonly RedisBackplane _backplane;
    private readonly JsonSerializerOptions _json;
    private readonly TimeSpan _broadcastInterval;
    private readonly int _listLimit;
    private readonly Dictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly HashSet<(string Topic, string Ref)> _orphans = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _upkeep;
    private readonly byte[] _nodeBytes;
    private bool _registered;
    private int _disposed;
    private volatile bool _needsReconcile;

    public RedisPresence(RedisBackplane backplane, IOptions<ChannelsOptions> options)
    {
        _backplane = backplane;
        _json = options.Value.JsonSerializerOptions;
        _broadcastInterval = options.Value.PresenceBroadcastInterval;
        _listLimit = options.Value.PresenceListLimit;
        _nodeBytes = Encoding.UTF8.GetBytes(backplane.NodeName);
        backplane.Presence = this;
        _upkeep = Task.Run(UpkeepAsync);
    }

    private RedisKeys Keys => _backplane.Keys;

    public async ValueTask<string> TrackAsync(ChannelSocket socket, string key, object? meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var channel = socket.Process;
        var phxRef = PresenceRefs.Next();
        var stamped = PresenceJson.StampMeta(Payload.From(meta, _json), phxRef);
        var replica = await AcquireAsync(channel.Topic, cancellationToken).ConfigureAwait(false);
        try
        {
            await replica.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (replica.Local.ContainsKey((channel, key)))
                {
                    throw new InvalidOperationException($"This channel already tracks \"{key}\" on \"{channel.Topic}\"; untrack it first.");
                }

                var entry = new LocalEntry(channel, key, phxRef, stamped);
                entry.Monitor = channel.Monitor(() => UntrackEndedAsync(replica, entry));
                if (entry.Monitor is null)
                {
                    // The channel ended before it could be tracked: it would only leave again at once.
                    return phxRef;
                }

                replica.Local[(channel, key)] = entry;
                lock (replica)
                {
                    // Known as local before Redis holds it, so that no repair takes it for an orphan.
                    replica.LocalRefs.Add(phxRef);
                }

                var seq = await WriteTrackAsync(replica.Topic, entry).ConfigureAwait(false);
                lock (replica)
                {
                    entry.Seq = seq ?? replica.View.MaxSeq + 1;
                    entry.Synced = seq is not null;
                    replica.View.Add(entry.ToPresence());
                    ScheduleFlush(replica);
                }
            }
            finally
            {
                replica.Writes.Release();
            }
        }
        finally
        {
            Leave(replica);
        }

        return phxRef;
    }

    public async ValueTask UntrackAsync(ChannelSocket socket, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var replica = Find(socket.Topic);
        if (replica is null)
        {
            return;
        }

        await replica.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (replica.Local.GetValueOrDefault((socket.Process, key)) is { } entry)
            {
                await RemoveAsync(replica, entry).ConfigureAwait(false);
            }
        }
        finally
        {
            replica.Writes.Release();
        }
    }

    public async ValueTask<Payload> ListAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var replica = await AcquireAsync(topic, cancellationToken).ConfigureAwait(false);
        try
        {
            lock (replica)
            {
                return replica.View.State();
            }
        }
        finally
        {
            Leave(replica);
        }
    }

    public async ValueTask<int> CountAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var replica = await AcquireAsync(topic, cancellationToken).ConfigureAwait(false);
        try
        {
            lock (replica)
            {
                return replica.View.KeyCount;
            }
        }
        finally
        {
            Leave(replica);
        }
    }

    private async ValueTask UntrackEndedAsync(Replica replica, LocalEntry entry)
    {
        await replica.Writes.WaitAsync().ConfigureAwait(false);
        try
        {
            if (replica.Local.TryGetValue((entry.Channel, entry.Key), out var current) && ReferenceEquals(current, entry))
            {
                await RemoveAsync(replica, entry).ConfigureAwait(false);
            }
        }
        finally
        {
            replica.Writes.Release();
        }
    }

    /// <summary>Removes a local entry here at once, then from Redis. The caller holds the replica's writes.</summary>
    private async ValueTask RemoveAsync(Replica replica, LocalEntry entry)
    {
        replica.Local.Remove((entry.Channel, entry.Key));
        entry.Monitor?.Dispose();
        lock (replica)
        {
            replica.LocalRefs.Remove(entry.Ref);
            replica.View.Remove(entry.Ref);
            ScheduleFlush(replica);
        }

        await WriteUntrackAsync(replica.Topic, entry.Ref).ConfigureAwait(false);
    }

    // --- Redis writes -------------------------------------------------------------------

    /// <summary>Stores and announces an entry; its seq, or null while Redis is away (written later).</summary>
    private async ValueTask<long?> WriteTrackAsync(string topic, LocalEntry entry)
    {
        var database = _backplane.AvailableDatabase;
        if (database is null)
        {
            _needsReconcile = true;
            return null;
        }

        try
        {
            return (long)await PresenceScripts.Track.EvaluateAsync(database,
                [Keys.Presence(topic), Keys.Node(_backplane.NodeName)],
                [Keys.Topic(topic).ToString(), _nodeBytes, entry.Ref, entry.Key, entry.Meta, topic]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            RedisLog.PresenceWriteFailed(_backplane.Logger, ex, topic);
            _needsReconcile = true;
            return null;
        }
    }

    private async ValueTask WriteUntrackAsync(string topic, string phxRef)
    {
        var database = _backplane.AvailableDatabase;
        if (database is not null)
        {
            try
            {
                await PresenceScripts.Untrack.EvaluateAsync(database,
                    [Keys.Presence(topic), Keys.Node(_backplane.NodeName)],
                    [Keys.Topic(topic).ToString(), _nodeBytes, phxRef]).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                RedisLog.PresenceWriteFailed(_backplane.Logger, ex, topic);
            }
        }

        lock (_orphans)
        {
            _orphans.Add((topic, phxRef));
        }

        _needsReconcile = true;
    }

    // --- Replicas -----------------------------------------------------------------------

    /// <summary>The topic's replica, loaded, with a use held until <see cref="Leave"/>.</summary>
    private async ValueTask<Replica> AcquireAsync(string topic, CancellationToken cancellationToken)
    {
        Replica replica;
        lock (_gate)
        {
            if (!_replicas.TryGetValue(topic, out replica!))
            {
                replica = new Replica(topic, _listLimit);
                _replicas[topic] = replica;
                replica.Loaded = Task.Run(() => LoadAsync(replica));
            }

            replica.Uses++;
        }

        try
        {
            await replica.Loaded.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(replica);
            throw;
        }

        return replica;
    }

    private void Leave(Replica replica)
    {
        lock (_gate)
        {
            replica.Uses--;
        }
    }

    private Replica? Find(string topic)
    {
        lock (_gate)
        {
            return _replicas.GetValueOrDefault(topic);
        }
    }

    /// <summary>Subscribes to the topic (so that every change from now on arrives), then reads its state.</summary>
    private async Task LoadAsync(Replica replica)
    {
        replica.Subscription = await _backplane.AcquireAsync(replica.Topic, CancellationToken.None).ConfigureAwait(false);
        await SyncAsync(replica, initial: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes the replica match Redis: other nodes' entries that Redis has and the replica lacks
    /// are added, those it no longer has are removed. Changes arriving meanwhile wait, and
    /// are applied after (a change that the state already holds then changes nothing).
    /// </summary>
    private async Task SyncAsync(Replica replica, bool initial)
    {
        lock (replica)
        {
            replica.Buffering = true;
        }

        HashEntry[]? stored = null;
        var database = _backplane.AvailableDatabase;
        if (database is not null)
        {
            try
            {
                stored = await database.HashGetAllAsync(Keys.Presence(replica.Topic)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                RedisLog.PresenceWriteFailed(_backplane.Logger, ex, replica.Topic);
            }
        }

        lock (replica)
        {
            if (stored is null)
            {
                replica.Stale = true;
            }
            else
            {
                replica.Stale = false;
                var remote = new Dictionary<string, PresenceEntry>(StringComparer.Ordinal);
                foreach (var field in stored)
                {
                    if (ReadStoredEntry(field) is { } entry)
                    {
                        remote[entry.Ref] = entry;
                    }
                }

                foreach (var present in replica.View.Entries.ToArray())
                {
                    if (!replica.IsLocal(present.Ref) && !remote.ContainsKey(present.Ref))
                    {
                        replica.View.Remove(present.Ref);
                    }
                }

                foreach (var entry in remote.Values)
                {
                    replica.View.Add(entry);
                }
            }

            foreach (var message in replica.Buffered)
            {
                ApplyChange(replica, message);
            }

            replica.Buffered.Clear();
            replica.Buffering = false;
            if (initial)
            {
                // Nobody here has been told anything of this topic yet: they get presence_state.
                replica.View.MarkAnnounced();
            }
            else
            {
                ScheduleFlush(replica);
            }
        }
    }

    /// <summary>An entry of the presence hash, unless it is the counter or this node's own.</summary>
    private PresenceEntry? ReadStoredEntry(HashEntry field)
    {
        var phxRef = (string)field.Name!;
        if (phxRef.StartsWith('#'))
        {
            return null;
        }

        var value = (byte[])field.Value!;
        var fields = Envelope.ReadNetstrings(value, start: 0);
        if (fields.Count != 4 || fields[1].Span.SequenceEqual(_nodeBytes))
        {
            return null;
        }

        return new PresenceEntry(Encoding.UTF8.GetString(fields[2].Span), phxRef, ParseLong(fields[0]), fields[3]);
    }

    void IPresenceReplica.Apply(string topic, ReadOnlyMemory<byte> message)
    {
        var replica = Find(topic);
        if (replica is null)
        {
            return;
        }

        lock (replica)
        {
            if (replica.Buffering)
            {
                replica.Buffered.Add(message);
                return;
            }

            ApplyChange(replica, message);
            ScheduleFlush(replica);
        }
    }

    /// <summary>Applies another node's change to the replica. The caller holds the replica's lock.</summary>
    private void ApplyChange(Replica replica, ReadOnlyMemory<byte> message)
    {
        var fields = Envelope.ReadNetstrings(message, start: 1);
        if (fields.Count < 2 || fields[0].Span.SequenceEqual(_nodeBytes))
        {
            return; // this node's own change, applied when it was made
        }

        if (message.Span[0] == Envelope.PresenceJoin && fields.Count == 5)
        {
            replica.View.Add(new PresenceEntry(
                Encoding.UTF8.GetString(fields[3].Span), Encoding.UTF8.GetString(fields[1].Span), ParseLong(fields[2]), fields[4]));
        }
        else if (message.Span[0] == Envelope.PresenceLeave)
        {
            for (var i = 1; i < fields.Count; i++)
            {
                replica.View.Remove(Encoding.UTF8.GetString(fields[i].Span));
            }
        }
    }

    /// <summary>Arranges for the replica's changes to reach this node's members. The caller holds its lock.</summary>
    private void ScheduleFlush(Replica replica)
    {
        if (replica.View.ScheduleFlush(_broadcastInterval) is { } delay)
        {
            _ = FlushLaterAsync(replica, delay);
        }
    }

    /// <summary>
    /// After the batching interval, delivers one diff to this node's members. Delivered under the
    /// replica's lock, which only queues frames, so that diffs go out in the order of the state.
    /// </summary>
    private async Task FlushLaterAsync(Replica replica, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        lock (replica)
        {
            foreach (var broadcast in replica.View.TakeFlush(replica.Topic))
            {
                _backplane.Local.Deliver(broadcast);
            }
        }
    }

    // --- Upkeep: heartbeats, dead nodes, idle replicas, and repairs after an outage ----

    private async Task UpkeepAsync()
    {
        var period = _backplane.Options.NodeTimeout / 4;
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                await UpkeepOnceAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                RedisLog.PresenceUpkeepFailed(_backplane.Logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false));
    }

    private async Task UpkeepOnceAsync()
    {
        DropIdleReplicas();
        var database = _backplane.AvailableDatabase;
        if (database is null)
        {
            return;
        }

        var added = (long)await PresenceScripts.Heartbeat.EvaluateAsync(database, [Keys.Nodes], [_backplane.NodeName]).ConfigureAwait(false);
        var revived = added == 1 && _registered;
        if (revived)
        {
            RedisLog.NodeRevived(_backplane.Logger);
            _needsReconcile = true;
        }

        if (_backplane.SocketCounts is { } sockets && (revived || sockets.IsStale))
        {
            // Swept with the node, or changed while Redis was away.
            await sockets.RewriteAsync().ConfigureAwait(false);
        }

        _registered = true;
        var swept = (RedisResult[])(await PresenceScripts.Sweep.EvaluateAsync(database, [Keys.Nodes],
            [Keys.Prefix, (long)_backplane.Options.NodeTimeout.TotalMilliseconds, _backplane.NodeName]).ConfigureAwait(false))!;
        for (var i = 0; i + 1 < swept.Length; i += 2)
        {
            RedisLog.NodeSwept(_backplane.Logger, (string)swept[i]!, (long)swept[i + 1]);
        }

        if (_needsReconcile)
        {
            await ReconcileAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Redis is back: write what could not be written, and compare every replica with Redis.</summary>
    async ValueTask IPresenceReplica.RestoredAsync()
    {
        _needsReconcile = true;
        try
        {
            if (_backplane.SocketCounts is { } sockets)
            {
                await sockets.RewriteAsync().ConfigureAwait(false);
            }

            await ReconcileAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            RedisLog.PresenceUpkeepFailed(_backplane.Logger, ex);
        }
    }

    private async Task ReconcileAsync()
    {
        var database = _backplane.AvailableDatabase;
        if (database is null)
        {
            return;
        }

        _needsReconcile = false;
        Replica[] replicas;
        lock (_gate)
        {
            replicas = [.. _replicas.Values];
        }

        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replica in replicas)
        {
            await replica.Loaded.ConfigureAwait(false);
            await replica.Writes.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var entry in replica.Local.Values)
                {
                    live.Add(entry.Ref);
                    var seq = await WriteTrackAsync(replica.Topic, entry).ConfigureAwait(false);
                    if (seq is not { } stored)
                    {
                        return; // away again: the next upkeep tries again
                    }

                    lock (replica)
                    {
                        if (!entry.Synced || entry.Seq != stored)
                        {
                            // Redis numbered it now; take that number, as the other nodes do.
                            replica.View.Remove(entry.Ref);
                            entry.Seq = stored;
                            replica.View.Add(entry.ToPresence());
                        }

                        entry.Synced = true;
                    }
                }
            }
            finally
            {
                replica.Writes.Release();
            }

            await SyncAsync(replica, initial: false).ConfigureAwait(false);
        }

        // Entries Redis holds for this node that no channel here tracks any more.
        (string Topic, string Ref)[] orphans;
        lock (_orphans)
        {
            orphans = [.. _orphans];
            _orphans.Clear();
        }

        foreach (var (topic, phxRef) in orphans)
        {
            await WriteUntrackAsync(topic, phxRef).ConfigureAwait(false);
        }

        foreach (var stored in await database.HashGetAllAsync(Keys.Node(_backplane.NodeName)).ConfigureAwait(false))
        {
            var phxRef = (string)stored.Name!;
            var topic = (string)stored.Value!;
            if (!live.Contains(phxRef) && !(Find(topic) is { } owner && owner.IsLocal(phxRef)))
            {
                await WriteUntrackAsync(topic, phxRef).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Replicas of topics that no channel or subscriber of this node is on any more.</summary>
    private void DropIdleReplicas()
    {
        List<Replica> dropped = [];
        lock (_gate)
        {
            foreach (var replica in _replicas.Values)
            {
                if (replica.Uses == 0 && replica.Loaded.IsCompleted && replica.Local.Count == 0 && !replica.View.FlushScheduled
                    && _backplane.Local.Count(replica.Topic) == 0)
                {
                    dropped.Add(replica);
                }
            }

            foreach (var replica in dropped)
            {
                _replicas.Remove(replica.Topic);
            }
        }

        foreach (var replica in dropped)
        {
            if (replica.Subscription is { } subscription)
            {
                _backplane.Release(subscription);
            }
        }
    }

    private static long ParseLong(ReadOnlyMemory<byte> digits) =>
        long.TryParse(digits.Span, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException("A presence seq is not a number.");

    /// <summary>For a container disposed synchronously (a command-line run, say).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Says goodbye: this node's entries leave every replica now, not after the node timeout.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _upkeep.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var database = _backplane.AvailableDatabase;
        if (database is null)
        {
            return;
        }

        try
        {
            Replica[] replicas;
            lock (_gate)
            {
                replicas = [.. _replicas.Values];
            }

            foreach (var replica in replicas)
            {
                foreach (var entry in replica.Local.Values.ToArray())
                {
                    await WriteUntrackAsync(replica.Topic, entry.Ref).ConfigureAwait(false);
                }
            }

            await database.KeyDeleteAsync(Keys.Node(_backplane.NodeName)).ConfigureAwait(false);
            _backplane.SocketCounts?.Close();
            await database.KeyDeleteAsync(Keys.Sockets(_backplane.NodeName)).ConfigureAwait(false);
            await database.SortedSetRemoveAsync(Keys.Nodes, _backplane.NodeName).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The others sweep this node's entries after the node timeout.
            RedisLog.PresenceUpkeepFailed(_backplane.Logger, ex);
        }

        _stopping.Dispose();
    }

    /// <summary>One topic as this node sees it. View and buffer under its own lock; Local under <see cref="Writes"/>.</summary>
    private sealed class Replica(string topic, int listLimit)
    {
        public string Topic { get; } = topic;

        public PresenceView View { get; } = new(listLimit);

        /// <summary>Serializes this node's writes on the topic, so that Redis gets a track before its untrack.</summary>
        public SemaphoreSlim Writes { get; } = new(1, 1);

        public Dictionary<(ChannelProcess, string), LocalEntry> Local { get; } = [];

        public Task Loaded { get; set; } = Task.CompletedTask;

        public RedisBackplane.TopicState? Subscription { get; set; }

        /// <summary>Calls under way; guarded by the tracker's gate.</summary>
        public int Uses { get; set; }

        public bool Buffering { get; set; }

        public List<ReadOnlyMemory<byte>> Buffered { get; } = [];

        /// <summary>Loaded without Redis; compared again when it returns.</summary>
        public bool Stale { get; set; }

        /// <summary>The refs of <see cref="Local"/>, readable under the replica's lock.</summary>
        public HashSet<string> LocalRefs { get; } = new(StringComparer.Ordinal);

        public bool IsLocal(string phxRef)
        {
            lock (this)
            {
                return LocalRefs.Contains(phxRef);
            }
        }
    }

    private sealed class LocalEntry(ChannelProcess channel, string key, string phxRef, ReadOnlyMemory<byte> meta)
    {
        public ChannelProcess Channel { get; } = channel;

        public string Key { get; } = key;

        public string Ref { get; } = phxRef;

        public ReadOnlyMemory<byte> Meta { get; } = meta;

        public long Seq { get; set; }

        /// <summary>True once Redis holds it under <see cref="Seq"/>.</summary>
        public bool Synced { get; set; }

        public IDisposable? Monitor { get; set; }

        public PresenceEntry ToPresence() => new(Key, Ref, Seq, Meta);
    }
}
