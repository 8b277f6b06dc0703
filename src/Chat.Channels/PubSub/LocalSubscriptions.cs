using System.Collections.Concurrent;

namespace Chat.Channels.PubSub;

/// <summary>
/// The subscribers of each topic on this node, and the loop that hands them a broadcast.
/// Every <see cref="IPubSub"/> keeps one: it is where a broadcast ends up, whichever
/// way it travelled.
/// </summary>
/// <remarks>
/// Delivering happens far more often than joining, so it reads without a lock; and joining
/// a room of fifty thousand must not copy fifty thousand references, so each topic keeps a
/// slot array that grows by doubling and reuses freed slots (see <see cref="SubscriberSet"/>).
/// </remarks>
public sealed class LocalSubscriptions
{
    private readonly ConcurrentDictionary<string, SubscriberSet> _topics = new(StringComparer.Ordinal);

    /// <summary>Adds a subscriber. Returns true when it is the topic's first on this node.</summary>
    public bool Add(string topic, IBroadcastSubscriber subscriber)
    {
        while (true)
        {
            var set = _topics.GetOrAdd(topic, static _ => new SubscriberSet());
            switch (set.Add(subscriber))
            {
                case SubscriberSet.AddResult.First:
                    return true;
                case SubscriberSet.AddResult.Added:
                    return false;
                default:
                    // The set emptied and was retired between the lookup and the add: take a new one.
                    _topics.TryRemove(new KeyValuePair<string, SubscriberSet>(topic, set));
                    continue;
            }
        }
    }

    /// <summary>Removes a subscriber. Returns true when the topic has none left on this node.</summary>
    public bool Remove(string topic, IBroadcastSubscriber subscriber)
    {
        if (!_topics.TryGetValue(topic, out var set) || !set.Remove(subscriber, out var nowEmpty))
        {
            return false;
        }

        if (nowEmpty)
        {
            _topics.TryRemove(new KeyValuePair<string, SubscriberSet>(topic, set));
        }

        return nowEmpty;
    }

    /// <summary>How many subscribers a topic has on this node.</summary>
    public int Count(string topic) => _topics.TryGetValue(topic, out var set) ? set.Count : 0;

    /// <summary>Hands the broadcast to every local subscriber of its topic but the excluded one.</summary>
    public void Deliver(Broadcast broadcast)
    {
        Internal.ChannelsMetrics.Received.Add(1);
        var reached = _topics.TryGetValue(broadcast.Topic, out var set) ? set.Deliver(broadcast) : 0;
        // Once per broadcast, never per subscriber.
        Internal.ChannelsMetrics.Fanout.Record(reached);
        if (reached > 0)
        {
            Internal.ChannelsMetrics.MessagesSent.Add(reached);
        }
    }

    /// <summary>
    /// Tells every local subscriber of <paramref name="topic"/> that it may have missed
    /// broadcasts (a backplane lost its connection, or a sequenced broadcast never came). Joined
    /// channels end with <c>phx_error</c>, and phoenix.js rejoins them, so a channel that
    /// catches up in its join (a room with <c>last_seen_id</c>) gets what was lost.
    /// </summary>
    public void Interrupt(string topic)
    {
        if (_topics.TryGetValue(topic, out var set))
        {
            set.Deliver(Broadcast.Interruption(topic));
        }
    }

    /// <summary>The topics with at least one local subscriber.</summary>
    public IEnumerable<string> Topics => _topics.Keys;

    /// <summary>
    /// One topic's subscribers in a slot array. Adding fills a free slot or appends, copying
    /// only when the array doubles; removing empties a slot. Writers hold a lock; delivery
    /// walks whatever array is current without one. A subscriber added or removed while a
    /// broadcast is being delivered may or may not receive it, which is the same race any
    /// pubsub has between subscribing and publishing.
    /// </summary>
    /// <remarks>
    /// Most topics have one subscriber on a node (every socket subscribes its own id topic,
    /// <c>user_socket:42</c>), so the index of slots and the free list are made only when a
    /// second subscriber arrives: a one-subscriber set is this object and a one-slot array.
    /// Writers lock the set itself, which is never handed out: a lock object would be 40
    /// more bytes of every socket.
    /// </remarks>
    private sealed class SubscriberSet
    {
        private const int MinCompactLength = 64;

        private Dictionary<IBroadcastSubscriber, int>? _slotOf;
        private Stack<int>? _freeSlots;
        private IBroadcastSubscriber?[] _slots = new IBroadcastSubscriber?[1];
        private int _used;
        private int _count;
        private bool _retired;

        public enum AddResult
        {
            First,
            Added,
            Retired,
        }

        public int Count
        {
            get
            {
                lock (this)
                {
                    return _count;
                }
            }
        }

        public AddResult Add(IBroadcastSubscriber subscriber)
        {
            lock (this)
            {
                if (_retired)
                {
                    return AddResult.Retired;
                }

                if (IndexOf(subscriber) >= 0)
                {
                    return AddResult.Added;
                }

                if (_slotOf is null && _count > 0)
                {
                    // A second subscriber: from now on, slots are indexed.
                    _slotOf = new Dictionary<IBroadcastSubscriber, int>(ReferenceEqualityComparer.Instance);
                    for (var i = 0; i < _used; i++)
                    {
                        if (_slots[i] is { } existing)
                        {
                            _slotOf[existing] = i;
                        }
                    }
                }

                int slot;
                if (_freeSlots is { Count: > 0 } free)
                {
                    slot = free.Pop();
                }
                else
                {
                    if (_used == _slots.Length)
                    {
                        var grown = new IBroadcastSubscriber?[Math.Max(4, _slots.Length * 2)];
                        Array.Copy(_slots, grown, _used);
                        Volatile.Write(ref _slots, grown);
                    }

                    slot = _used++;
                }

                Volatile.Write(ref _slots[slot], subscriber);
                if (_slotOf is not null)
                {
                    _slotOf[subscriber] = slot;
                }

                _count++;
                return _count == 1 ? AddResult.First : AddResult.Added;
            }
        }

        public bool Remove(IBroadcastSubscriber subscriber, out bool nowEmpty)
        {
            lock (this)
            {
                nowEmpty = false;
                var slot = IndexOf(subscriber);
                if (slot < 0)
                {
                    return false;
                }

                _slotOf?.Remove(subscriber);
                Volatile.Write(ref _slots[slot], null);
                if (_slotOf is not null)
                {
                    (_freeSlots ??= new Stack<int>()).Push(slot);
                }

                _count--;
                if (_count == 0)
                {
                    // A retired set takes no more subscribers; the next Add makes a fresh one.
                    _retired = true;
                    nowEmpty = true;
                }
                else if (_slots.Length > MinCompactLength && _count < _slots.Length / 4)
                {
                    Compact();
                }

                return true;
            }
        }

        private int IndexOf(IBroadcastSubscriber subscriber)
        {
            if (_slotOf is not null)
            {
                return _slotOf.TryGetValue(subscriber, out var slot) ? slot : -1;
            }

            return _used > 0 && ReferenceEquals(_slots[0], subscriber) ? 0 : -1;
        }

        /// <summary>
        /// After a crowd has left, packs the remaining subscribers into a smaller array, so
        /// that delivering walks the members, not the room's past. Readers holding the old
        /// array finish with it undisturbed.
        /// </summary>
        private void Compact()
        {
            var slotOf = _slotOf!;
            var packed = new IBroadcastSubscriber?[Math.Max(4, _count * 2)];
            var next = 0;
            foreach (var subscriber in slotOf.Keys.ToArray())
            {
                packed[next] = subscriber;
                slotOf[subscriber] = next++;
            }

            _freeSlots?.Clear();
            _used = next;
            Volatile.Write(ref _slots, packed);
        }

        public int Deliver(Broadcast broadcast)
        {
            var reached = 0;
            var slots = Volatile.Read(ref _slots);
            for (var i = 0; i < slots.Length; i++)
            {
                var subscriber = Volatile.Read(ref slots[i]);
                if (subscriber is not null && !ReferenceEquals(subscriber, broadcast.Except))
                {
                    subscriber.Deliver(broadcast);
                    reached++;
                }
            }

            return reached;
        }
    }
}
