namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The sockets open at once per socket id (one user's, in the chat) and per client address
/// (<see cref="ClientAddress.Key"/>), so that one client cannot hold the server's sockets.
/// A place is claimed before the upgrade and given back when the socket ends.
/// </summary>
/// <remarks>One lock for both counts: a connect is rare next to the frames a socket carries.</remarks>
internal sealed class SocketQuotas
{
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byAddress = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// Claims a place for a socket about to open: disposing the claim gives it back. Null, with
    /// the reason, when the id or the address has its fill.
    /// </summary>
    public IDisposable? TryClaim(string? id, string address, ChannelsOptions options, out string? refusal)
    {
        lock (_gate)
        {
            refusal = id is not null && _byId.GetValueOrDefault(id) >= options.MaxSocketsPerId ? "too many sockets with this id"
                : _byAddress.GetValueOrDefault(address) >= options.MaxSocketsPerAddress ? "too many sockets from this address"
                : null;
            if (refusal is not null)
            {
                return null;
            }

            if (id is not null)
            {
                _byId[id] = _byId.GetValueOrDefault(id) + 1;
            }

            _byAddress[address] = _byAddress.GetValueOrDefault(address) + 1;
        }

        return new Claim(this, id, address);
    }

    /// <summary>Open sockets with this id; for tests.</summary>
    internal int CountFor(string id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    private void Release(string? id, string address)
    {
        lock (_gate)
        {
            if (id is not null)
            {
                Decrement(_byId, id);
            }

            Decrement(_byAddress, address);
        }
    }

    // A key whose count reaches zero is removed, so that the tables hold only open sockets.
    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (counts.TryGetValue(key, out var count))
        {
            if (count <= 1)
            {
                counts.Remove(key);
            }
            else
            {
                counts[key] = count - 1;
            }
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
