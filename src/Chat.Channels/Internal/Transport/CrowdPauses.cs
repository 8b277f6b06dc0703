using System.Diagnostics;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// How long the flush thread rests after a crowd's round (see <see cref="FlushQueue"/>): the
/// short <see cref="FlushQueue.CrowdPause"/>, or the long <see cref="FlushQueue.BusyCrowdPause"/>
/// once broadcasts to the crowd come faster than one per round, which takes two full rounds in a
/// row: one is chance, not a busy room.
/// </summary>
/// <remarks>
/// At a moderate rate (20 broadcasts a second to 2,000 members, one every 50 ms) two broadcasts
/// still land in one round now and then, when a slow fsync holds a commit back and the next one
/// comes right after it. Counted alone, that round made the next pause 50 ms, and the broadcast
/// that came meanwhile waited up to 30 ms longer than its round: few broadcasts, but each one
/// 2,000 deliveries, in the fan-out's p99. At the rates the long pause is for, every crowd's
/// round is full, so it only starts one round later.
/// </remarks>
internal sealed class CrowdPauses
{
    /// <summary>The longest time between the starts of two full rounds that still makes them a streak.</summary>
    internal static readonly TimeSpan BusyStreakGap = TimeSpan.FromMilliseconds(100);

    private long _lastFullRound;

    /// <summary>
    /// The pause after a crowd's round whose window began at <paramref name="windowStarted"/> (a
    /// <see cref="Stopwatch"/> timestamp) and flushed <paramref name="flushed"/> sockets carrying
    /// <paramref name="frames"/> frames, counted from that start.
    /// </summary>
    public TimeSpan After(long windowStarted, int flushed, int frames)
    {
        var full = frames >= FlushQueue.BusyFramesPerWrite * flushed;
        var streak = full && _lastFullRound != 0 && Stopwatch.GetElapsedTime(_lastFullRound, windowStarted) <= BusyStreakGap;
        _lastFullRound = full ? windowStarted : 0;
        return streak ? FlushQueue.BusyCrowdPause : FlushQueue.CrowdPause;
    }
}
