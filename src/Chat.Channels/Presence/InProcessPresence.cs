using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Presence;

/// <summary>
/// The default <see cref="IPresence"/>: every tracked entry lives in this process. Diffs still
/// travel through <see cref="IPubSub"/>, so members see them whichever pubsub is configured.
/// </summary>
/// <remarks>
/// <para><b>Metas are kept as encoded JSON</b>, not as dictionaries: a meta is encoded and
/// stamped with its <c>phx_ref</c> once, when it is tracked, then copied raw into every diff
/// and every list. The stored bytes are immutable, so an application that changes its object
/// after tracking changes nothing here, and no thread ever reads a collection the application
/// owns. It is also what a shared store keeps, so a Redis tracker can hold the same bytes.</para>
///
/// <para><b>One gate per topic.</b> Each topic has its own async gate, held across a change and
/// across the publishing of its diff, so the diffs of one topic are published in the order its
/// state changed: a leave can never overtake the join it undoes, which would leave a ghost in
/// every client. The gate is a <see cref="SemaphoreSlim"/>, not a lock, because the pubsub may
/// be remote. Different topics never wait for each other, and a topic whose last entry leaves
/// is dropped once its last diff is out.</para>
///
/// <para><b>Diffs are batched.</b> Changes are collected for
/// <see cref="ChannelsOptions.PresenceBroadcastInterval"/> and published as one diff per topic,
/// as Phoenix's tracker does. Without that, a crowd of N joining a room costs N diffs sent
/// to up to N members each: N² frames, which is what filling a 10,000-member room measured.
/// A join and a leave of the same entry within one window cancel out. <c>presence_state</c>
/// is the current state, as in Phoenix, so a member listed in it may arrive again in the next
/// diff; clients match metas by <c>phx_ref</c>, so that changes nothing. It is encoded once
/// per change, not once per member who asks.</para>
/// </remarks>
internal sealed partial class InProcessPresence(IPubSub pubSub, IOptions<ChannelsOptions> options, ILogger<InProcessPresence> logger) : IPresence
{
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly JsonSerializerOptions _json = options.Value.JsonSerializerOptions;
    private readonly TimeSpan _broadcastInterval = options.Value.PresenceBroadcastInterval;

    /// <summary>Topics with at least one entry; for tests that check nothing leaks.</summary>
    internal int TopicCount => _topics.Count;

    public async ValueTask<string> TrackAsync(ChannelSocket socket, string key, object? meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var channel = socket.Process;
        var phxRef = PresenceRefs.Next();
        // Encoding needs no gate: do it before waiting for one.
        var entry = new Entry(channel, key, PresenceJson.StampMeta(Payload.From(meta, _json), phxRef));

        var topic = (await AcquireAsync(channel.Topic, create: true, cancellationToken).ConfigureAwait(false))!;
        try
        {
            if (topic.Find(channel, key) is not null)
            {
                throw new InvalidOperationException($"This channel already tracks \"{key}\" on \"{channel.Topic}\"; untrack it first.");
            }

            entry.Monitor = channel.Monitor(() => UntrackEndedAsync(entry));
            if (entry.Monitor is null)
            {
                // The channel ended before it could be tracked: it would only leave again at once.
                return phxRef;
            }

            topic.Add(entry);
            topic.PendingJoins.Add(entry);
            ScheduleBroadcast(topic);
        }
        finally
        {
            Release(topic);
        }

        return phxRef;
    }

    public async ValueTask UntrackAsync(ChannelSocket socket, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var channel = socket.Process;
        var topic = await AcquireAsync(channel.Topic, create: false, cancellationToken).ConfigureAwait(false);
        if (topic is null)
        {
            return;
        }

        try
        {
            if (topic.Find(channel, key) is { } entry)
            {
                await RemoveAsync(topic, entry).ConfigureAwait(false);
            }
        }
        finally
        {
            Release(topic);
        }
    }

    public async ValueTask<Payload> ListAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var state = await AcquireAsync(topic, create: false, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return Payload.Empty;
        }

        try
        {
            return state.Snapshot ??= PresenceJson.State(state.ByKey, static entry => entry.Meta);
        }
        finally
        {
            Release(state);
        }
    }

    /// <summary>The channel's monitor: it ended, so its entry leaves, unless an untrack got there first.</summary>
    private async ValueTask UntrackEndedAsync(Entry entry)
    {
        var topic = await AcquireAsync(entry.Channel.Topic, create: false, CancellationToken.None).ConfigureAwait(false);
        if (topic is null)
        {
            return;
        }

        try
        {
            if (topic.Contains(entry))
            {
                await RemoveAsync(topic, entry).ConfigureAwait(false);
            }
        }
        finally
        {
            Release(topic);
        }
    }

    /// <summary>Removes an entry and queues its leave. The caller holds the topic's gate.</summary>
    private ValueTask RemoveAsync(TopicState topic, Entry entry)
    {
        topic.Remove(entry);
        entry.Monitor?.Dispose();
        if (!topic.PendingJoins.Remove(entry))
        {
            // Members heard of the join, so they must hear of the leave; a join still pending
            // and its leave cancel out instead.
            topic.PendingLeaves.Add(entry);
        }

        ScheduleBroadcast(topic);
        return ValueTask.CompletedTask;
    }

    /// <summary>Arranges for the topic's pending changes to go out as one diff. The caller holds the gate.</summary>
    private void ScheduleBroadcast(TopicState topic)
    {
        if (!topic.BroadcastScheduled && (topic.PendingJoins.Count > 0 || topic.PendingLeaves.Count > 0))
        {
            topic.BroadcastScheduled = true;
            _ = BroadcastLaterAsync(topic);
        }
    }

    /// <summary>
    /// After the batching interval, publishes one diff of everything that changed. Not
    /// cancellable: once the state has changed, members must hear of it, or their view stays
    /// wrong until they rejoin.
    /// </summary>
    private async Task BroadcastLaterAsync(TopicState topic)
    {
        await Task.Delay(_broadcastInterval).ConfigureAwait(false);
        await topic.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            topic.BroadcastScheduled = false;
            if (topic.PendingJoins.Count == 0 && topic.PendingLeaves.Count == 0)
            {
                return;
            }

            var diff = PresenceJson.Diff(Group(topic.PendingJoins), Group(topic.PendingLeaves), static entry => entry.Meta);
            topic.PendingJoins.Clear();
            topic.PendingLeaves.Clear();
            await pubSub.BroadcastAsync(new Broadcast(topic.Name, PresenceJson.DiffEvent, diff), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A remote pubsub that fails loses this diff; the state is still right for the
            // next joiner. Nothing else can be done from a timer but say so.
            LogDiffLost(logger, ex, topic.Name);
        }
        finally
        {
            Release(topic);
        }
    }

    private static Dictionary<string, List<Entry>> Group(List<Entry> entries)
    {
        var byKey = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!byKey.TryGetValue(entry.Key, out var list))
            {
                byKey[entry.Key] = list = [];
            }

            list.Add(entry);
        }

        return byKey;
    }

    /// <summary>
    /// Waits for a topic's gate. Returns null when the topic has no entries and
    /// <paramref name="create"/> is false.
    /// </summary>
    private async ValueTask<TopicState?> AcquireAsync(string topic, bool create, CancellationToken cancellationToken)
    {
        while (true)
        {
            TopicState? state;
            if (create)
            {
                state = _topics.GetOrAdd(topic, static name => new TopicState(name));
            }
            else if (!_topics.TryGetValue(topic, out state))
            {
                return null;
            }

            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!state.Dropped)
            {
                return state;
            }

            // It emptied and was dropped while this call waited; a newer state may have replaced it.
            state.Gate.Release();
        }
    }

    /// <summary>Releases a topic's gate, dropping the topic first if it has no entries left.</summary>
    private void Release(TopicState state)
    {
        if (state.ByKey.Count == 0 && !state.BroadcastScheduled && !state.Dropped)
        {
            state.Dropped = true;
            _topics.TryRemove(KeyValuePair.Create(state.Name, state));
        }

        state.Gate.Release();
    }

    /// <summary>One topic's entries, by key, in the order they were tracked. Read and written only under <see cref="Gate"/>.</summary>
    private sealed class TopicState(string name)
    {
        public string Name { get; } = name;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Set, under the gate, when the topic emptied and left the dictionary; whoever waited for it looks again.</summary>
        public bool Dropped { get; set; }

        public Dictionary<string, List<Entry>> ByKey { get; } = new(StringComparer.Ordinal);

        /// <summary>Tracked since the last diff went out.</summary>
        public List<Entry> PendingJoins { get; } = [];

        /// <summary>Untracked since the last diff went out, whose joins members did hear of.</summary>
        public List<Entry> PendingLeaves { get; } = [];

        public bool BroadcastScheduled { get; set; }

        /// <summary>The encoded state; null until someone asks after a change.</summary>
        public Payload? Snapshot { get; set; }

        public Entry? Find(ChannelProcess channel, string key)
        {
            if (ByKey.TryGetValue(key, out var entries))
            {
                foreach (var entry in entries)
                {
                    if (ReferenceEquals(entry.Channel, channel))
                    {
                        return entry;
                    }
                }
            }

            return null;
        }

        public bool Contains(Entry entry) => ByKey.TryGetValue(entry.Key, out var entries) && entries.Contains(entry);

        public void Add(Entry entry)
        {
            Snapshot = null;
            if (!ByKey.TryGetValue(entry.Key, out var entries))
            {
                ByKey[entry.Key] = entries = [];
            }

            entries.Add(entry);
        }

        public void Remove(Entry entry)
        {
            Snapshot = null;
            var entries = ByKey[entry.Key];
            entries.Remove(entry);
            if (entries.Count == 0)
            {
                ByKey.Remove(entry.Key);
            }
        }
    }

    /// <summary>One tracked channel under one key. Compared by reference: each track is its own entry.</summary>
    private sealed class Entry(ChannelProcess channel, string key, ReadOnlyMemory<byte> meta)
    {
        public ChannelProcess Channel { get; } = channel;

        public string Key { get; } = key;

        /// <summary>The meta as sent to clients: a JSON object, <c>phx_ref</c> included.</summary>
        public ReadOnlyMemory<byte> Meta { get; } = meta;

        /// <summary>The monitor on <see cref="Channel"/>; disposed when the entry is untracked.</summary>
        public IDisposable? Monitor { get; set; }
    }

    [LoggerMessage(1, LogLevel.Error, "A presence_diff for \"{Topic}\" could not be published; members see the change when they next rejoin.")]
    private static partial void LogDiffLost(ILogger logger, Exception exception, string topic);
}
