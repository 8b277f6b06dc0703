using System.Diagnostics;
using Chat.LoadGen.Coordinator;

namespace Chat.LoadGen.Scenarios;

/// <summary>How long the server took to come to rest after the warm-up, and what told the benchmark so.</summary>
/// <param name="Reclaims">Memory reclaims the server reported during the wait (ours), or null for a peer that reports none.</param>
internal sealed record RestReading(double Seconds, long? Reclaims, bool Settled);

/// <summary>
/// Waits until a server is at rest after the idle scenario's warm-up, so that the baseline it
/// then reads means "the server before the sockets came", not "the server halfway through
/// giving back what the warm-up left". Ours gives memory back once it goes quiet after a spell
/// (its reclaimer: a full aggressive collection, its block pool and the C heap trimmed, then
/// the JIT's cached scratch freed 3 and 6 s later), and it does the same after the measured
/// sockets close; a baseline read before that reclaim was up to 35 MiB too high, which made
/// the per-socket cost and the memory given back look better than they were
/// (docs/benchmarks.md, "Memory given back"). So: for a peer that counts its reclaims, wait
/// for one more than before the warm-up, then for the follow-ups; for every peer, wait until
/// RSS holds still.
/// </summary>
internal static class ServerAtRest
{
    /// <summary>Ours frees the JIT's scratch memory 3 and 6 readings (seconds) after a reclaim.</summary>
    private static readonly TimeSpan AfterReclaim = TimeSpan.FromSeconds(8);

    /// <summary>Its rule allows a reclaim at most every 30 s, so one right before the warm-up can delay the next that long.</summary>
    private static readonly TimeSpan ReclaimWait = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(30);

    /// <summary>Readings a second apart that must all lie within <see cref="StillBytes"/> for RSS to count as still.</summary>
    private const int StillReadings = 5;

    private const long StillBytes = 1024 * 1024;

    public static async Task<RestReading> WaitAsync(PeerServer server, long? reclaimsBefore)
    {
        var clock = Stopwatch.StartNew();
        long? reclaims = null;
        if (reclaimsBefore is { } before)
        {
            while (clock.Elapsed < ReclaimWait)
            {
                reclaims = await server.MemoryReclaimsAsync() - before;
                if (reclaims > 0)
                {
                    await Task.Delay(AfterReclaim);
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        var settled = await RssStillAsync(server);
        return new RestReading(clock.Elapsed.TotalSeconds, reclaims, settled && (reclaims is null or > 0));
    }

    private static async Task<bool> RssStillAsync(PeerServer server)
    {
        var readings = new Queue<long>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < SettleWait)
        {
            readings.Enqueue(server.Rss());
            if (readings.Count > StillReadings)
            {
                readings.Dequeue();
            }

            if (readings.Count == StillReadings && readings.Max() - readings.Min() <= StillBytes)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        return false;
    }
}
