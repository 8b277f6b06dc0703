namespace Chat.Server.Memory;

/// <summary>
/// Decides, from one reading a second, when memory is worth giving back: something was freed
/// (sockets closed, or much was allocated and has since become garbage) and the process has
/// gone quiet, so one full blocking collection delays nobody. Pure bookkeeping, no clock and no
/// GC of its own, so that the decision can be tested reading by reading.
/// </summary>
internal sealed class ReclaimTrigger(int closedSockets, long allocatedBytes)
{
    /// <summary>Readings in a row that must be quiet: a close burst or a busy second in between starts the count again.</summary>
    public const int QuietReadings = 2;

    /// <summary>Readings between two reclaims at least, so a bursty load pays for a full collection at most twice a minute.</summary>
    public const int MinReadingsBetween = 30;

    /// <summary>CPU time per reading, as a fraction of one core, below which the process counts as quiet.</summary>
    public const double QuietCpuFraction = 0.10;

    private int _peakSockets;
    private int _lastSockets;
    private long _allocatedAtReclaim;
    private int _quiet;
    private int _sinceReclaim = MinReadingsBetween;

    /// <summary>
    /// Takes one reading: sockets open now, bytes the process has allocated in all, and the
    /// fraction of a core it used since the last reading. True when it is time to reclaim; the
    /// trigger then counts from this reading.
    /// </summary>
    public bool Observe(int sockets, long allocatedInAll, double cpuFraction)
    {
        _peakSockets = Math.Max(_peakSockets, sockets);
        _sinceReclaim++;
        var closing = sockets < _lastSockets;
        _lastSockets = sockets;
        _quiet = !closing && cpuFraction < QuietCpuFraction ? _quiet + 1 : 0;

        var freed = _peakSockets - sockets >= closedSockets || allocatedInAll - _allocatedAtReclaim >= allocatedBytes;
        if (!freed || _quiet < QuietReadings || _sinceReclaim < MinReadingsBetween)
        {
            return false;
        }

        _peakSockets = sockets;
        _allocatedAtReclaim = allocatedInAll;
        _quiet = 0;
        _sinceReclaim = 0;
        return true;
    }
}
