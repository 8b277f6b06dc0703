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
/// owns. It is also what a shared store keeps, so a Redis tracker holds the same bytes.</para>
///
/// <para><b>One gate per topic.</b> Each topic has its own async gate, held across a change and
/// across the publishing of its diff, so the diffs of one topic are published in the order its
/// state changed: a leave can never overtake the join it undoes, which would leave a ghost in
/// every client. The gate is a <see cref="SemaphoreSlim"/>, not a lock, because the pubsub may
/// be remote. Different topics never wait for each other, and a topic whose last entry leaves
/// is dropped once its last diff is out.</para>
///
/// <para><b>Diffs are batched</b> (<see cref="ChannelsOptions.PresenceBroadcastInterval"/>) and
/// <b>big topics are listed in part</b> (<see cref="ChannelsOptions.PresenceListLimit"/>); both
/// are <see cref="PresenceView"/>'s, which the Redis tracker shares. <c>presence_state</c> is
/// the current state, as in Phoenix, so a member listed in it may arrive again in the next
/// diff; clients match metas by <c>phx_ref</c>, so that changes nothing.</para>
/// </remarks>
internal sealed partial class InProcessPresence(IPubSub pubSub, IOptions<ChannelsOptions> options, ILogger<InProcessPresence> logger) : IPresence
{
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly JsonSerializerOptions _json = options.Value.JsonSerializerOptions;
    private readonly TimeSpan _broadcastInterval = options.Value.PresenceBroadcastInterval;
    private readonly int _listLimit = options.Value.PresenceListLimit;

    /// <summary>Topics with at least one entry; for tests that check nothing leaks.</summary>
    internal int TopicCount => _topics.Count;

    public async ValueTask<string> TrackAsync(ChannelSocket socket, string key, object? meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var channel = socket.Process;
        var phxRef = PresenceRefs.Next();
        // Encoding needs no gate: do it before waiting for one.
        var stamped = PresenceJson.StampMeta(Payload.From(meta, _json), phxRef);

        var topic = (await AcquireAsync(channel.Topic, create: true, cancellationToken).ConfigureAwait(false))!;
        try
        {
            if (topic.Local.ContainsKey((channel, key)))
            {
                throw new InvalidOperationException($"This channel already tracks \"{key}\" on \"{channel.Topic}\"; untrack it first.");
            }

            var entry = new LocalEntry(this, topic.Name, channel, new PresenceEntry(key, phxRef, topic.View.MaxSeq + 1, stamped));
            if (!channel.Monitor(entry))
            {
                // The channel ended before it could be tracked: it would only leave again at once.
                return phxRef;
            }

            topic.Local[(channel, key)] = entry;
            topic.View.Add(entry.Presence);
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
            if (topic.Local.GetValueOrDefault((channel, key)) is { } entry)
            {
                Remove(topic, entry);
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
            return state.View.State();
        }
        finally
        {
            Release(state);
        }
    }

    public async ValueTask<int> CountAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var state = await AcquireAsync(topic, create: false, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return 0;
        }

        try
        {
            return state.View.KeyCount;
        }
        finally
        {
            Release(state);
        }
    }

    /// <summary>The channel's monitor: it ended, so its entry leaves, unless an untrack got there first.</summary>
    private async ValueTask UntrackEndedAsync(string name, LocalEntry entry)
    {
        var topic = await AcquireAsync(name, create: false, CancellationToken.None).ConfigureAwait(false);
        if (topic is null)
        {
            return;
        }

        try
        {
            if (topic.Local.TryGetValue((entry.Channel, entry.Presence.Key), out var current) && ReferenceEquals(current, entry))
            {
                Remove(topic, entry);
            }
        }
        finally
        {
            Release(topic);
        }
    }

    /// <summary>Removes an entry and queues its leave. The caller holds the topic's gate.</summary>
    private void Remove(TopicState topic, LocalEntry entry)
    {
        topic.Local.Remove((entry.Channel, entry.Presence.Key));
        entry.Channel.Demonitor(entry);
        topic.View.Remove(entry.Presence.Ref);
        ScheduleBroadcast(topic);
    }

    /// <summary>Arranges for the topic's pending changes to go out as one diff. The caller holds the gate.</summary>
    private void ScheduleBroadcast(TopicState topic)
    {
        if (topic.View.ScheduleFlush(_broadcastInterval) is { } delay)
        {
            _ = BroadcastLaterAsync(topic, delay);
        }
    }

    /// <summary>
    /// After the batching interval, publishes one diff of everything that changed. Not
    /// cancellable: once the state has changed, members must hear of it, or their view stays
    /// wrong until they rejoin.
    /// </summary>
    private async Task BroadcastLaterAsync(TopicState topic, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        await topic.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var broadcast in topic.View.TakeFlush(topic.Name))
            {
                await pubSub.BroadcastAsync(broadcast, CancellationToken.None).ConfigureAwait(false);
            }
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
                state = _topics.GetOrAdd(topic, static (name, limit) => new TopicState(name, limit), _listLimit);
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
        if (state.View.EntryCount == 0 && !state.View.FlushScheduled && !state.Dropped)
        {
            state.Dropped = true;
            _topics.TryRemove(KeyValuePair.Create(state.Name, state));
        }

        state.Gate.Release();
    }

    [LoggerMessage(1, LogLevel.Error, "A presence_diff for \"{Topic}\" could not be published; members see the change when they next rejoin.")]
    private static partial void LogDiffLost(ILogger logger, Exception exception, string topic);

    /// <summary>One topic's entries. Read and written only under <see cref="Gate"/>.</summary>
    private sealed class TopicState(string name, int listLimit)
    {
        public string Name { get; } = name;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Set, under the gate, when the topic emptied and left the dictionary; whoever waited for it looks again.</summary>
        public bool Dropped { get; set; }

        public PresenceView View { get; } = new(listLimit);

        /// <summary>The entries of this node's channels, by channel and key.</summary>
        public Dictionary<(ChannelProcess, string), LocalEntry> Local { get; } = [];
    }

    /// <summary>One tracked channel under one key, and the monitor on that channel that untracks it once the channel has ended.</summary>
    private sealed class LocalEntry(InProcessPresence presence, string topic, ChannelProcess channel, PresenceEntry entry) : ExitMonitor
    {
        public ChannelProcess Channel { get; } = channel;

        public PresenceEntry Presence { get; } = entry;

        public override ValueTask OnExitAsync() => presence.UntrackEndedAsync(topic, this);
    }
}
