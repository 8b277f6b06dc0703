using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.PubSub;
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
/// its broadcast, so the diffs of one topic are published in the order its state changed: a
/// leave can never overtake the join it undoes, which would leave a ghost in every client.
/// The gate is a <see cref="SemaphoreSlim"/>, not a lock, because the pubsub may be remote.
/// Different topics never wait for each other, and a topic whose last entry leaves is dropped.</para>
/// </remarks>
internal sealed class InProcessPresence(IPubSub pubSub, IOptions<ChannelsOptions> options) : IPresence
{
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly JsonSerializerOptions _json = options.Value.JsonSerializerOptions;

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
        var diff = PresenceJson.Diff(key, entry.Meta, joined: true);

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
            await PublishAsync(channel.Topic, diff).ConfigureAwait(false);
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
            return PresenceJson.State(state.ByKey, static entry => entry.Meta);
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

    /// <summary>Removes an entry and broadcasts its leave. The caller holds the topic's gate.</summary>
    private ValueTask RemoveAsync(TopicState topic, Entry entry)
    {
        topic.Remove(entry);
        entry.Monitor?.Dispose();
        return PublishAsync(topic.Name, PresenceJson.Diff(entry.Key, entry.Meta, joined: false));
    }

    /// <summary>
    /// Broadcasts a diff. Not cancellable: once the state has changed, members must hear of it,
    /// or their view stays wrong until they rejoin.
    /// </summary>
    private ValueTask PublishAsync(string topic, Payload diff) =>
        pubSub.BroadcastAsync(new Broadcast(topic, PresenceJson.DiffEvent, diff), CancellationToken.None);

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
        if (state.ByKey.Count == 0 && !state.Dropped)
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
            if (!ByKey.TryGetValue(entry.Key, out var entries))
            {
                ByKey[entry.Key] = entries = [];
            }

            entries.Add(entry);
        }

        public void Remove(Entry entry)
        {
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
}
