namespace Chat.Server.Memory;

/// <summary>
/// After a reclaim, decides whether one more is worth it: when pinned transport blocks that
/// were still in use during it have come back to the pool since. Like <see cref="ReclaimTrigger"/>,
/// pure bookkeeping read once a second, so that it can be tested reading by reading.
/// </summary>
/// <remarks>
/// A fill of 10,000 joins ends with a trickle of late ones while the process already uses
/// little CPU, so the reclaim after it can run while their handshakes still hold blocks. Those
/// come back to the pool afterwards and stay there, each on the pinned heap, which is never
/// compacted: a region with one of them in it cannot be given back. In one development run
/// 27 MiB of the pinned heap stayed committed that way (1 MiB in the run after it), held by a
/// few dozen blocks. So when a reclaim leaves at least <see cref="MinPinnedFree"/> free in the
/// pinned heap, then for half a minute, once the socket count has stopped moving and the
/// process is quiet, a pool that has taken any block back asks for one more; never more than
/// one per reclaim.
/// </remarks>
internal sealed class RefillTrigger
{
    /// <summary>Free space left in the pinned heap by a reclaim that is worth a second: one region's worth.</summary>
    public const long MinPinnedFree = 4L * 1024 * 1024;

    // Readings since the reclaim this one follows, or -1 when there is none to follow.
    private int _readings = -1;
    private int _quiet;
    private int _lastSockets;

    /// <summary>True for the half minute after a reclaim with no follow-up yet: only then are readings worth taking.</summary>
    public bool Armed => _readings >= 0;

    /// <summary>A reclaim has just run with this many sockets open, and left this much free in the pinned heap.</summary>
    public void Arm(int sockets, long pinnedFree)
    {
        if (pinnedFree < MinPinnedFree)
        {
            _readings = -1;
            return;
        }

        _readings = 0;
        _quiet = 0;
        _lastSockets = sockets;
    }

    /// <summary>Takes one reading; true, at most once per <see cref="Arm"/>, when it is time to reclaim again.</summary>
    public bool Observe(int sockets, long pooledFreeBytes, double cpuFraction)
    {
        if (_readings < 0)
        {
            return false;
        }

        if (++_readings > ReclaimTrigger.MinReadingsBetween)
        {
            _readings = -1;
            return false;
        }

        _quiet = sockets == _lastSockets && cpuFraction < ReclaimTrigger.QuietCpuFraction ? _quiet + 1 : 0;
        _lastSockets = sockets;
        if (_quiet < ReclaimTrigger.QuietReadings || pooledFreeBytes == 0)
        {
            return false;
        }

        _readings = -1;
        return true;
    }
}
