namespace Chat.Channels.Internal;

/// <summary>
/// When each open socket's credentials expire, for the whole server: one clock tick a second
/// closes the sockets whose time has come, instead of a runtime timer per socket.
/// </summary>
/// <remarks>
/// <para>A timer per socket is cheap to create but not to keep: .NET keeps timers due more
/// than a third of a second ahead in one long list, and walks all of it about three times a
/// second. With tokens that live a day, that list holds every socket, and walking it was the
/// largest part of an idle server's CPU after the heartbeats themselves.</para>
/// <para>Here sockets are kept in buckets by the minute their credentials expire, the buckets
/// in order, so a tick looks at the earliest bucket only, and does nothing until its minute
/// has come. A socket is closed within about a second of its expiry, and never before it.
/// The tick runs only while some socket has an expiry.</para>
/// </remarks>
internal sealed class CredentialExpiries
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _clock;
    private readonly SortedDictionary<long, HashSet<SocketConnection>> _byMinute = [];
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _ticking;

    public CredentialExpiries(TimeProvider clock) => _clock = clock;

    /// <summary>Sockets waiting for their expiry.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byMinute.Values.Sum(bucket => bucket.Count);
            }
        }
    }

    /// <summary>Schedules the socket's close for <paramref name="expiresAt"/>; false if that has already passed.</summary>
    public bool Add(SocketConnection connection, DateTimeOffset expiresAt)
    {
        if (expiresAt <= _clock.GetUtcNow())
        {
            return false;
        }

        lock (_gate)
        {
            var minute = MinuteOf(expiresAt);
            if (!_byMinute.TryGetValue(minute, out var bucket))
            {
                _byMinute[minute] = bucket = [];
            }

            bucket.Add(connection);
            if (!_ticking)
            {
                _timer ??= _clock.CreateTimer(static state => ((CredentialExpiries)state!).CloseExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timer.Change(Tick, Tick);
                _ticking = true;
            }
        }

        return true;
    }

    /// <summary>Forgets a socket that ended before its credentials expired.</summary>
    public void Remove(SocketConnection connection, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            var minute = MinuteOf(expiresAt);
            if (_byMinute.TryGetValue(minute, out var bucket) && bucket.Remove(connection) && bucket.Count == 0)
            {
                _byMinute.Remove(minute);
                StopWhenEmpty();
            }
        }
    }

    private void CloseExpired()
    {
        var now = _clock.GetUtcNow();
        List<SocketConnection>? expired = null;
        lock (_gate)
        {
            // Buckets come in order of their minute: the first one not yet begun ends the search.
            while (_byMinute.Count > 0)
            {
                var (minute, bucket) = _byMinute.First();
                if (minute > MinuteOf(now))
                {
                    break;
                }

                bucket.RemoveWhere(connection =>
                {
                    if (connection.ExpiresAt > now)
                    {
                        return false;
                    }

                    (expired ??= []).Add(connection);
                    return true;
                });

                if (bucket.Count > 0)
                {
                    // The current minute, part of it still ahead.
                    break;
                }

                _byMinute.Remove(minute);
            }

            StopWhenEmpty();
        }

        // Outside the lock: closing a socket ends it, and an ending socket calls Remove.
        if (expired is not null)
        {
            foreach (var connection in expired)
            {
                connection.CloseForExpiredCredentials();
            }
        }
    }

    private void StopWhenEmpty()
    {
        if (_byMinute.Count == 0 && _ticking)
        {
            _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _ticking = false;
        }
    }

    private static long MinuteOf(DateTimeOffset time) => time.UtcTicks / TimeSpan.TicksPerMinute;
}
