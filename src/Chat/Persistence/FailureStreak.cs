namespace Chat.Persistence;

/// <summary>
/// Failures in a row of a background chore that runs on a timer (the SQLite checkpointer, the
/// PostgreSQL search index cleaner): it says when a streak starts and ends, so the chore logs
/// once per streak and not every tick, and how long to pause, growing with the streak.
/// </summary>
internal sealed class FailureStreak(TimeSpan step, TimeSpan maxPause)
{
    private int _failures;

    /// <summary>Counts a failure; true when it starts a streak (log it then).</summary>
    public bool Failed() => _failures++ == 0;

    /// <summary>Ends the streak; the failures it held (0 when there was none: nothing to log).</summary>
    public int Succeeded()
    {
        var ended = _failures;
        _failures = 0;
        return ended;
    }

    /// <summary>The pause before the next try: a step per failure so far, at most <c>maxPause</c>.</summary>
    public TimeSpan Pause => TimeSpan.FromTicks(Math.Min(step.Ticks * _failures, maxPause.Ticks));
}
