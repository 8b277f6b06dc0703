namespace Chat.Channels.Presence;

/// <summary>
/// One topic's presences as this node knows them, and what its clients have been told of
/// them: the state a tracker keeps per topic, whether every entry lives here or some are
/// replicated from other nodes. Not thread-safe: its owner serializes access.
/// </summary>
/// <remarks>
/// <para><b>Listed and unlisted.</b> A room of ten thousand cannot send every joiner ten
/// thousand presences, nor every member every join: that is O(N²), and it took minutes to
/// fill such a room. So only the first <see cref="ListLimit"/> keys are <i>listed</i>: they
/// are what <c>presence_state</c> holds and what <c>presence_diff</c>s speak of. Keys are
/// ordered by their oldest present entry (<see cref="PresenceEntry.Seq"/>, which the tracker
/// assigns in tracking order), so the listed keys are those present longest, and every node
/// that holds the same entries lists the same keys. When a listed key leaves, the next key
/// in that order is listed, and clients hear of it as a join: phoenix.js's <c>Presence</c>
/// always shows exactly the listed keys. <see cref="KeyCount"/> counts them all.</para>
///
/// <para><b>Diffs from what clients were told.</b> Each entry remembers whether clients were
/// last told it is there (<see cref="PresenceEntry.Announced"/>). Changes only mark entries as
/// touched; <see cref="TakeDiff"/> compares each touched entry with what clients were told,
/// so a join and a leave in one batching window cancel out, and a key listed and unlisted
/// again costs nothing.</para>
/// </remarks>
internal sealed class PresenceView(int listLimit)
{
    private static readonly Comparer<PresenceKey> ByAge = Comparer<PresenceKey>.Create(static (a, b) =>
        a.OldestSeq != b.OldestSeq ? a.OldestSeq.CompareTo(b.OldestSeq) : string.CompareOrdinal(a.Name, b.Name));

    /// <summary>How often members of a room above the list limit hear its count.</summary>
    private static readonly TimeSpan CountInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, PresenceEntry> _byRef = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PresenceKey> _keys = new(StringComparer.Ordinal);
    private readonly SortedSet<PresenceKey> _listed = new(ByAge);
    private readonly SortedSet<PresenceKey> _unlisted = new(ByAge);
    private readonly HashSet<PresenceEntry> _touched = new(ReferenceEqualityComparer.Instance);
    private Payload? _state;
    private int _announcedCount;

    /// <summary>Keys beyond this many are present but not listed.</summary>
    public int ListLimit { get; } = listLimit;

    /// <summary>Every key present, listed or not.</summary>
    public int KeyCount => _keys.Count;

    /// <summary>Every entry present.</summary>
    public int EntryCount => _byRef.Count;

    /// <summary>True while changes wait for <see cref="TakeDiff"/>.</summary>
    public bool HasChanges => _touched.Count > 0 || CountChanged;

    /// <summary>True when the key count changed where it matters to clients: above the limit, now or at the last diff.</summary>
    public bool CountChanged => _keys.Count != _announcedCount && (_keys.Count > ListLimit || _announcedCount > ListLimit);

    /// <summary>The highest seq present; a tracker that assigns seqs locally continues from here.</summary>
    public long MaxSeq { get; private set; }

    public PresenceEntry? Find(string phxRef) => _byRef.GetValueOrDefault(phxRef);

    public IEnumerable<PresenceEntry> Entries => _byRef.Values;

    /// <summary>Adds an entry; false if its ref is already present.</summary>
    public bool Add(PresenceEntry entry)
    {
        if (!_byRef.TryAdd(entry.Ref, entry))
        {
            return false;
        }

        MaxSeq = Math.Max(MaxSeq, entry.Seq);
        _touched.Add(entry);
        if (!_keys.TryGetValue(entry.Key, out var key))
        {
            key = new PresenceKey(entry.Key);
            key.Insert(entry);
            _keys[entry.Key] = key;
            Place(key);
        }
        else
        {
            var oldest = key.OldestSeq;
            Detach(key);
            key.Insert(entry);
            Reattach(key, oldest);
        }

        entry.Owner = key;
        if (key.Listed)
        {
            _state = null;
        }

        return true;
    }

    /// <summary>Removes the entry with this ref; null if there is none.</summary>
    public PresenceEntry? Remove(string phxRef)
    {
        if (!_byRef.Remove(phxRef, out var entry))
        {
            return null;
        }

        _touched.Add(entry);
        var key = entry.Owner!;
        if (key.Listed)
        {
            _state = null;
        }

        var oldest = key.OldestSeq;
        Detach(key);
        key.Remove(entry);
        if (key.Count == 0)
        {
            _keys.Remove(key.Name);
            key.Listed = false;
            FillList();
        }
        else
        {
            Reattach(key, oldest);
        }

        return entry;
    }

    /// <summary>
    /// <c>{key: {"metas": [...]}}</c> of the listed keys: the payload of <c>presence_state</c>,
    /// encoded once per change of the listed keys (a crowd of unlisted joiners changes nothing).
    /// </summary>
    public Payload State() =>
        _state ??= PresenceJson.State<PresenceEntry, PresenceKey>(_listed.Select(static key => KeyValuePair.Create(key.Name, key)), static entry => entry.Meta);

    /// <summary>
    /// What clients must be told since the last call: the <c>presence_diff</c> payload (null when
    /// no listed entry changed) and the key count (null unless it changed above the limit).
    /// Marks everything as told.
    /// </summary>
    public (Payload? Diff, int? Count) TakeDiff()
    {
        Dictionary<string, List<PresenceEntry>>? joins = null;
        Dictionary<string, List<PresenceEntry>>? leaves = null;
        foreach (var entry in _touched)
        {
            var visible = _byRef.TryGetValue(entry.Ref, out var present) && ReferenceEquals(present, entry) && entry.Owner!.Listed;
            if (visible == entry.Announced)
            {
                continue;
            }

            entry.Announced = visible;
            var into = visible ? joins ??= new(StringComparer.Ordinal) : leaves ??= new(StringComparer.Ordinal);
            if (!into.TryGetValue(entry.Key, out var list))
            {
                into[entry.Key] = list = [];
            }

            list.Add(entry);
        }

        _touched.Clear();
        int? count = CountChanged ? _keys.Count : null;
        _announcedCount = _keys.Count;
        var diff = joins is null && leaves is null
            ? (Payload?)null
            : PresenceJson.Diff(joins ?? Empty, leaves ?? Empty, static entry => entry.Meta);
        return (diff, count);
    }

    /// <summary>True from <see cref="ScheduleFlush"/> until <see cref="TakeFlush"/>.</summary>
    public bool FlushScheduled { get; private set; }

    /// <summary>
    /// Called after changes: when there is something to tell and no flush is on its way yet,
    /// marks one as scheduled and returns how long its owner should wait before
    /// <see cref="TakeFlush"/>, so that a window's changes go out as one diff; null otherwise.
    /// Above the list limit it is the count that changes, and members hear of it once a
    /// second, not ten times.
    /// </summary>
    public TimeSpan? ScheduleFlush(TimeSpan interval)
    {
        if (FlushScheduled || !HasChanges)
        {
            return null;
        }

        FlushScheduled = true;
        return KeyCount > ListLimit && interval < CountInterval ? CountInterval : interval;
    }

    /// <summary>
    /// The scheduled flush: <see cref="TakeDiff"/> as what members are sent, a
    /// <c>presence_diff</c> to <paramref name="topic"/> if listed entries changed, then a
    /// <c>presence_count</c> if the count changed above the limit.
    /// </summary>
    public List<PubSub.Broadcast> TakeFlush(string topic)
    {
        FlushScheduled = false;
        var broadcasts = new List<PubSub.Broadcast>(2);
        var (diff, count) = TakeDiff();
        if (diff is { } changes)
        {
            broadcasts.Add(new PubSub.Broadcast(topic, PresenceJson.DiffEvent, changes));
        }

        if (count is { } keys)
        {
            broadcasts.Add(new PubSub.Broadcast(topic, PresenceJson.CountEvent, PresenceJson.Count(keys)));
        }

        return broadcasts;
    }

    /// <summary>Forgets pending changes, taking the current state as what clients know (after a load).</summary>
    public void MarkAnnounced()
    {
        foreach (var entry in _touched)
        {
            entry.Announced = _byRef.TryGetValue(entry.Ref, out var present) && ReferenceEquals(present, entry) && entry.Owner!.Listed;
        }

        _touched.Clear();
        _announcedCount = _keys.Count;
    }

    private static readonly Dictionary<string, List<PresenceEntry>> Empty = new(StringComparer.Ordinal);

    /// <summary>Places a new key: listed if there is room, or if it is older than the youngest listed key.</summary>
    private void Place(PresenceKey key)
    {
        if (_listed.Count < ListLimit)
        {
            List(key);
        }
        else if (ByAge.Compare(key, _listed.Max!) < 0)
        {
            var youngest = _listed.Max!;
            Unlist(youngest);
            List(key);
        }
        else
        {
            _unlisted.Add(key);
        }
    }

    private void Detach(PresenceKey key)
    {
        if (key.Listed)
        {
            _listed.Remove(key);
        }
        else
        {
            _unlisted.Remove(key);
        }
    }

    /// <summary>Puts a key back after its entries changed, moving it across the limit if its age did.</summary>
    private void Reattach(PresenceKey key, long previousOldest)
    {
        if (key.Listed)
        {
            _listed.Add(key);
            if (key.OldestSeq != previousOldest && _unlisted.Count > 0 && ByAge.Compare(_unlisted.Min!, key) < 0)
            {
                // It lost its oldest entry and is now younger than a key waiting to be listed.
                Unlist(key);
                FillList();
            }
        }
        else
        {
            _unlisted.Add(key);
            if (_listed.Count > 0 && ByAge.Compare(key, _listed.Max!) < 0)
            {
                var youngest = _listed.Max!;
                Unlist(youngest);
                _unlisted.Remove(key);
                List(key);
            }
        }

        if (key.Listed)
        {
            // Its new entry is announced with it.
            for (var i = 0; i < key.Count; i++)
            {
                _touched.Add(key[i]);
            }
        }
    }

    private void FillList()
    {
        while (_listed.Count < ListLimit && _unlisted.Count > 0)
        {
            var next = _unlisted.Min!;
            _unlisted.Remove(next);
            List(next);
        }
    }

    private void List(PresenceKey key)
    {
        _state = null;
        key.Listed = true;
        _listed.Add(key);
        for (var i = 0; i < key.Count; i++)
        {
            _touched.Add(key[i]);
        }
    }

    private void Unlist(PresenceKey key)
    {
        _state = null;
        _listed.Remove(key);
        key.Listed = false;
        _unlisted.Add(key);
        for (var i = 0; i < key.Count; i++)
        {
            _touched.Add(key[i]);
        }
    }
}

/// <summary>One key's entries, oldest first.</summary>
/// <remarks>
/// A key is nearly always one user with one tab, so its one entry is held in a field and a list
/// is made only for a second (a list and its array were 64 bytes of every present member).
/// </remarks>
internal sealed class PresenceKey(string name) : IReadOnlyList<PresenceEntry>
{
    private PresenceEntry? _only;
    private List<PresenceEntry>? _many;

    public string Name { get; } = name;

    public bool Listed { get; set; }

    public int Count => _many?.Count ?? (_only is null ? 0 : 1);

    public PresenceEntry this[int index] =>
        _many is not null ? _many[index]
        : index == 0 && _only is not null ? _only
        : throw new ArgumentOutOfRangeException(nameof(index));

    public long OldestSeq => Count == 0 ? long.MaxValue : this[0].Seq;

    public void Insert(PresenceEntry entry)
    {
        if (_many is null)
        {
            if (_only is null)
            {
                _only = entry;
                return;
            }

            _many = [_only];
            _only = null;
        }

        var at = _many.Count;
        while (at > 0 && _many[at - 1].Seq > entry.Seq)
        {
            at--;
        }

        _many.Insert(at, entry);
    }

    public void Remove(PresenceEntry entry)
    {
        if (_many is not null)
        {
            // A key that had a second entry keeps its list: its user may well open that tab again.
            _many.Remove(entry);
        }
        else if (ReferenceEquals(_only, entry))
        {
            _only = null;
        }
    }

    public IEnumerator<PresenceEntry> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>One tracked presence: a key, a meta (encoded, <c>phx_ref</c> included), and its place in tracking order.</summary>
internal sealed class PresenceEntry(string key, string phxRef, long seq, ReadOnlyMemory<byte> meta)
{
    public string Key { get; } = key;

    public string Ref { get; } = phxRef;

    /// <summary>Its place in the topic's tracking order; what keys are ordered by.</summary>
    public long Seq { get; } = seq;

    public ReadOnlyMemory<byte> Meta { get; } = meta;

    /// <summary>Whether clients were last told that this entry is there.</summary>
    public bool Announced { get; set; }

    /// <summary>The key it belongs to while present.</summary>
    public PresenceKey? Owner { get; set; }
}
