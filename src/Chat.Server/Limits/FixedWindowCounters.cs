using System.Collections.Concurrent;
using Chat.Channels;

namespace Chat.Server.Limits;

/// <summary>
/// Counts events per key in windows that open with a key's first event and close a fixed time
/// later: "10 failed sign-ins in 15 minutes". A refusal says exactly when the window closes,
/// which is what a client's <c>Retry-After</c> must say.
/// </summary>
/// <remarks>
/// Not System.Threading.RateLimiting's <c>FixedWindowRateLimiter</c>: its windows are aligned
/// to a timer it owns and a refusal only knows the window's length, so a client told to come
/// back after 15 minutes might have been welcome after one. Redis counts the same way
/// (<c>INCR</c>, then <c>PEXPIRE</c> on the first), so a limit behaves alike on one node and
/// on several. Windows that have closed are swept once a window, so idle keys cost nothing.
/// </remarks>
internal sealed class FixedWindowCounters(int limit, TimeSpan window, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private long _nextSweep = clock.GetTimestamp() + Ticks(window, clock);

    /// <summary>Whether <paramref name="key"/> may have one more event now, without counting one.</summary>
    public RateDecision Peek(string key)
    {
        var now = clock.GetTimestamp();
        return _windows.TryGetValue(key, out var open) && open.Count >= limit && now < open.ClosesAt
            ? RateDecision.Refuse(Remaining(open, now))
            : RateDecision.Allow;
    }

    /// <summary>Counts an event for <paramref name="key"/>; refused (and not counted) once the window is full.</summary>
    public RateDecision Take(string key)
    {
        var now = clock.GetTimestamp();
        SweepIfDue(now);
        while (true)
        {
            if (!_windows.TryGetValue(key, out var open) || now >= open.ClosesAt)
            {
                var opened = new Window(1, now + Ticks(window, clock));
                var won = open is null ? _windows.TryAdd(key, opened) : _windows.TryUpdate(key, opened, open);
                if (won)
                {
                    return RateDecision.Allow;
                }

                continue;
            }

            if (open.Count >= limit)
            {
                return RateDecision.Refuse(Remaining(open, now));
            }

            if (_windows.TryUpdate(key, open with { Count = open.Count + 1 }, open))
            {
                return RateDecision.Allow;
            }
        }
    }

    /// <summary>
    /// Takes back one event counted by <see cref="Take"/> in the window that is still open: a
    /// sign-in counted as a failure before the password was checked, that succeeded.
    /// </summary>
    public void Refund(string key)
    {
        var now = clock.GetTimestamp();
        while (_windows.TryGetValue(key, out var open) && now < open.ClosesAt && open.Count > 0)
        {
            if (_windows.TryUpdate(key, open with { Count = open.Count - 1 }, open))
            {
                return;
            }
        }
    }

    /// <summary>Keys with an open window; for tests.</summary>
    internal int Count => _windows.Count;

    private TimeSpan Remaining(Window open, long now) => clock.GetElapsedTime(now, open.ClosesAt);

    private static long Ticks(TimeSpan span, TimeProvider clock) => (long)(span.TotalSeconds * clock.TimestampFrequency);

    private void SweepIfDue(long now)
    {
        var due = Volatile.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + Ticks(window, clock), due) != due)
        {
            return;
        }

        foreach (var (key, open) in _windows)
        {
            if (now >= open.ClosesAt)
            {
                _windows.TryRemove(new KeyValuePair<string, Window>(key, open));
            }
        }
    }

    private sealed record Window(int Count, long ClosesAt);
}
