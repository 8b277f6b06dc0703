namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The sockets open at once per socket id (one user's, in the chat) and per client address
/// (<see cref="ClientAddress.Key"/>), so that one client cannot hold the server's sockets.
/// A place is claimed before the upgrade and given back when the socket ends.
/// </summary>
/// <remarks>
/// <para>One lock for both counts: a connect is rare next to the frames a socket carries.</para>
/// <para>With a backplane that counts over every node (<see cref="IClusterSocketCounts"/>), an
/// id's place is claimed here first, then there: the node's own count never passes the limit,
/// and the nodes' together do not either while the backplane answers. While it cannot be
/// asked, this node's count is the limit's only check, so users keep connecting. Addresses are
/// counted per node only: their cap is off by default, and behind a load balancer one address
/// spreads over the nodes anyway.</para>
/// </remarks>
internal sealed class SocketQuotas(IClusterSocketCounts? cluster = null)
{
    private const string TooManyWithId = "too many sockets with this id";

    /// <summary>Slots below which a table is left as it is: a few KB, not worth a rehash.</summary>
    private const int CrowdCapacity = 1_024;

    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byAddress = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// Claims a place for a socket about to open: disposing the claim gives it back. Null, with
    /// the reason, when the id or the address has its fill.
    /// </summary>
    public async ValueTask<(IDisposable? Claim, string? Refusal)> TryClaimAsync(string? id, string address, ChannelsOptions options)
    {
        ValueTask<bool?> recorded = default;
        lock (_gate)
        {
            var refusal = id is not null && _byId.GetValueOrDefault(id) >= options.MaxSocketsPerId ? TooManyWithId
                : _byAddress.GetValueOrDefault(address) >= options.MaxSocketsPerAddress ? "too many sockets from this address"
                : null;
            if (refusal is not null)
            {
                return (null, refusal);
            }

            if (id is not null)
            {
                var count = _byId[id] = _byId.GetValueOrDefault(id) + 1;
                if (cluster is not null)
                {
                    // Issued under the lock, so that the cluster hears this id's counts in order.
                    recorded = cluster.TryRecordAsync(id, count, options.MaxSocketsPerId);
                }
            }

            _byAddress[address] = _byAddress.GetValueOrDefault(address) + 1;
        }

        bool? verdict;
        try
        {
            verdict = await recorded.ConfigureAwait(false);
        }
        catch
        {
            Release(id, address);
            throw;
        }

        if (verdict == false)
        {
            Release(id, address);
            return (null, TooManyWithId);
        }

        return (new Claim(this, id, address), null);
    }

    /// <summary>Open sockets with this id; for tests.</summary>
    internal int CountFor(string id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    /// <summary>Slots the per-id table holds, used or not; for tests.</summary>
    internal int IdTableCapacity
    {
        get
        {
            lock (_gate)
            {
                return _byId.Capacity;
            }
        }
    }

    private void Release(string? id, string address)
    {
        lock (_gate)
        {
            if (id is not null)
            {
                var count = Decrement(_byId, id);
                cluster?.Record(id, count);
            }

            Decrement(_byAddress, address);
        }
    }

    // A key whose count reaches zero is removed, so that the tables hold only open sockets.
    // Returns the count left.
    private static int Decrement(Dictionary<string, int> counts, string key)
    {
        if (!counts.TryGetValue(key, out var count) || count <= 1)
        {
            counts.Remove(key);
            ShrinkAfterCrowd(counts);
            return 0;
        }

        counts[key] = count - 1;
        return count - 1;
    }

    // A dictionary keeps the table it grew to: after 10,000 sockets with their own ids closed,
    // 420 KB of it stayed for good. Given back once the crowd has mostly gone, and only then, so
    // that the rehash is paid once per crowd, not once per close.
    private static void ShrinkAfterCrowd(Dictionary<string, int> counts)
    {
        if (counts.Capacity > CrowdCapacity && counts.Count < counts.Capacity / 8)
        {
            counts.TrimExcess(counts.Count * 2);
        }
    }

    private sealed class Claim(SocketQuotas quotas, string? id, string address) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                quotas.Release(id, address);
            }
        }
    }
}
