using System.Collections.Concurrent;

namespace Chat.Messages;

/// <summary>
/// Answers every write that is still waiting when its deadline passes, whatever the writer is
/// doing meanwhile (stuck in a commit the database never answers, backing off, or waiting for
/// it to come back), with one timer for the whole writer.
/// </summary>
/// <remarks>
/// Every write gets the same timeout, so deadlines come due in the order writes are queued.
/// A FIFO of the writes, checked from its head a few times per timeout, therefore finds every
/// overdue write, and a send costs one enqueue instead of a timer of its own. The writer drops
/// the writes it has settled from the head after each batch, so the FIFO holds about what
/// waits, not everything sent in the last tick.
/// </remarks>
internal sealed class WriteDeadlines : IDisposable
{
    private readonly ConcurrentQueue<PendingWrite> _writes = new();

    // The head is taken by the timer and by the writer; one at a time, so that neither takes
    // a write the other has only looked at.
    private readonly Lock _head = new();
    private readonly TimeProvider _clock;
    private readonly long _timeout;
    private readonly string _failure;
    private readonly Action _tick;
    private readonly ITimer _timer;

    /// <param name="tick">Also run on every tick, after the overdue writes are answered (the writer's stall check).</param>
    public WriteDeadlines(TimeSpan timeout, string failure, TimeProvider clock, Action tick)
    {
        _clock = clock;
        _timeout = (long)(timeout.TotalSeconds * clock.TimestampFrequency);
        _failure = failure;
        _tick = tick;
        // A write is answered at most this late: a twentieth of the timeout, 10 to 250 ms.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 20, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));
        _timer = clock.CreateTimer(_ => Tick(), null, period, period);
    }

    /// <summary>Starts the clock of a write that is about to be queued.</summary>
    public void Track(PendingWrite write)
    {
        write.Deadline = _clock.GetTimestamp() + _timeout;
        _writes.Enqueue(write);
    }

    /// <summary>Forgets the settled writes at the head; the writer calls it after each batch.</summary>
    public void Trim()
    {
        lock (_head)
        {
            while (_writes.TryPeek(out var write) && !write.IsWaiting)
            {
                _writes.TryDequeue(out _);
            }
        }
    }

    private void Tick()
    {
        // Ticks never overlap: one that finds the previous one still running skips its turn.
        if (!_head.TryEnter())
        {
            return;
        }

        try
        {
            var now = _clock.GetTimestamp();
            while (_writes.TryPeek(out var write) && (!write.IsWaiting || write.Deadline <= now))
            {
                _writes.TryDequeue(out _);
                write.Fail(_failure);
            }
        }
        finally
        {
            _head.Exit();
        }

        _tick();
    }

    public void Dispose() => _timer.Dispose();
}
