using System.Diagnostics;
using Chat.Channels.Internal.Transport;

namespace Chat.Channels.Tests;

/// <summary>
/// The flush thread's rest after a broadcast to a crowd: short while broadcasts come one per
/// round, long only once they keep coming faster than that, never for a single full round.
/// </summary>
public sealed class CrowdPausesTests
{
    private const int Crowd = 2_000;
    private static readonly long Start = Stopwatch.GetTimestamp();

    private static long At(double milliseconds) => Start + (long)(milliseconds * Stopwatch.Frequency / 1000);

    [Fact]
    public void One_broadcast_per_round_keeps_the_short_pause()
    {
        var pauses = new CrowdPauses();
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(round * 50), Crowd, Crowd));
        }
    }

    [Fact]
    public void A_single_round_that_caught_two_broadcasts_keeps_the_short_pause()
    {
        var pauses = new CrowdPauses();
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(0), Crowd, Crowd));
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(50), Crowd, 2 * Crowd));
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(100), Crowd, Crowd));
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(150), Crowd, 2 * Crowd));
    }

    [Fact]
    public void Full_rounds_in_a_row_get_the_long_pause_until_one_is_not_full()
    {
        var pauses = new CrowdPauses();
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(0), Crowd, 3 * Crowd));
        Assert.Equal(FlushQueue.BusyCrowdPause, pauses.After(At(20), Crowd, 3 * Crowd));
        Assert.Equal(FlushQueue.BusyCrowdPause, pauses.After(At(70), Crowd, 2 * Crowd));
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(120), Crowd, Crowd + 1));
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(140), Crowd, 2 * Crowd));
    }

    [Fact]
    public void Full_rounds_far_apart_are_no_streak()
    {
        var pauses = new CrowdPauses();
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(0), Crowd, 2 * Crowd));
        var later = CrowdPauses.BusyStreakGap.TotalMilliseconds + 1;
        Assert.Equal(FlushQueue.CrowdPause, pauses.After(At(later), Crowd, 2 * Crowd));
    }
}
