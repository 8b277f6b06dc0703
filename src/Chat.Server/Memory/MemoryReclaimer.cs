using System.Diagnostics;
using Chat.Channels;
using Chat.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Chat.Server.Memory;

/// <summary>
/// Gives memory back to the system after a busy spell, once the server has gone quiet.
/// </summary>
/// <remarks>
/// The runtime collects only when the program allocates, and an idle server hardly does: after
/// 10,000 sockets closed, their objects stayed in the heap as garbage, the heap stayed
/// committed for reuse, and the transport's free blocks stayed pooled, 2× the baseline for as
/// long as it stayed idle (docs/benchmarks.md). So once a spell has freed enough (sockets
/// closed, or much allocated since the last time) and the process has then been quiet for two
/// seconds (<see cref="ReclaimTrigger"/>), this empties the transport's pool and runs one
/// aggressive collection, the runtime's mode for exactly this: compact, then decommit what is
/// free; then it asks the C library to give back its free pages too (<see cref="NativeHeap"/>),
/// and a few seconds later has the runtime free the JIT's cached scratch memory
/// (<see cref="ReleaseJitScratch"/>). When blocks that were still in use during it come back
/// to the pool afterwards, it runs once more (<see cref="RefillTrigger"/>).
/// It stops the process for as long as a full collection of the live heap takes (32 ms
/// with 14 MiB live after the fuzz test), which is why it waits for quiet and runs at most
/// twice a minute.
/// </remarks>
internal sealed partial class MemoryReclaimer(
    ChannelsStatus channels,
    TransportMemoryPoolFactory pools,
    IOptions<MemoryOptions> options,
    ILogger<MemoryReclaimer> logger) : BackgroundService
{
    private static readonly TimeSpan ReadingInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Readings after a reclaim at which the finalizer thread is woken to free the JIT's scratch
    /// memory (<see cref="ReleaseJitScratch"/>); the C heap is trimmed again after the last.
    /// </summary>
    private const int FirstJitScratchRelease = 3;
    private const int LastJitScratchRelease = 6;

    /// <summary>The pinned object heap's index in <see cref="GCMemoryInfo.GenerationInfo"/>.</summary>
    private const int PinnedHeap = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Reclaim)
        {
            return;
        }

        var trigger = new ReclaimTrigger(settings.ReclaimAfterClosedSockets, settings.ReclaimAfterAllocatedMiB * 1024L * 1024);
        var refill = new RefillTrigger();
        using var timer = new PeriodicTimer(ReadingInterval);
        var cpu = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        int? readingsSinceReclaim = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var cpuNow = Environment.CpuUsage.TotalTime;
                var cpuFraction = (cpuNow - cpu) / clock.Elapsed;
                cpu = cpuNow;
                clock.Restart();
                var sockets = channels.ConnectedSockets;
                if (trigger.Observe(sockets, GC.GetTotalAllocatedBytes(), cpuFraction))
                {
                    refill.Arm(sockets, pinnedFree: Reclaim());
                    readingsSinceReclaim = 0;
                }
                else if (refill.Armed && refill.Observe(sockets, pools.FreeBytes, cpuFraction))
                {
                    // Blocks that were in use during the reclaim are back: let them go too.
                    Reclaim();
                    readingsSinceReclaim = 0;
                }
                else if (readingsSinceReclaim is { } since && since < LastJitScratchRelease)
                {
                    readingsSinceReclaim = ++since;
                    // Only while still quiet: a trim holds each arena's lock while it walks it.
                    if (since is (FirstJitScratchRelease or LastJitScratchRelease) && cpuFraction < ReclaimTrigger.QuietCpuFraction)
                    {
                        ReleaseJitScratch(trim: since == LastJitScratchRelease);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Gives memory back; returns the free space the collection left in the pinned heap (see <see cref="RefillTrigger"/>).</summary>
    private long Reclaim()
    {
        var before = Environment.WorkingSet;
        var pooled = pools.Trim();
        var clock = Stopwatch.StartNew();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var pause = clock.Elapsed;
        // After the collection, which frees what the runtime held natively for the dead sockets.
        clock.Restart();
        var nativeHeap = NativeHeap.Trim() ? $"trimmed in {clock.Elapsed.TotalMilliseconds:0.0} ms" : "left as it is";
        ServerDiagnostics.MemoryReclaims.Add(1);
        var heap = GC.GetGCMemoryInfo(GCKind.Any);
        LogReclaimed(logger, Mebibytes(before), Mebibytes(Environment.WorkingSet), Mebibytes(pooled), Mebibytes(heap.HeapSizeBytes), Mebibytes(heap.TotalCommittedBytes), pause.TotalMilliseconds, nativeHeap);
        // The reclaim's own collection, not a younger one that may have run since.
        var full = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return full.GenerationInfo.Length > PinnedHeap ? full.GenerationInfo[PinnedHeap].FragmentationAfterBytes : 0;
    }

    /// <summary>
    /// The runtime keeps the JIT's freed 64 KiB scratch slabs cached for reuse (up to 16 MiB) and
    /// frees them only from the finalizer thread, each time it wakes, those cached at least 2 s
    /// before; an idle server's finalizer thread does not wake, so after the 10,000 joins 4.4 MiB
    /// of them (67 slabs) stayed in the C heap (docs/benchmarks.md). Waiting for pending
    /// finalizers wakes it; twice, 3 s apart, frees what the burst left cached.
    /// </summary>
    private static void ReleaseJitScratch(bool trim)
    {
        GC.WaitForPendingFinalizers();
        if (trim)
        {
            NativeHeap.Trim();
        }
    }

    private static long Mebibytes(long bytes) => bytes / (1024 * 1024);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Gave memory back after a busy spell: working set {BeforeMiB} → {AfterMiB} MiB ({PooledMiB} MiB of pooled transport blocks let go; heap {HeapMiB} MiB live, {CommittedMiB} MiB committed), in a {PauseMs:0} ms collection; the C heap {NativeHeap}")]
    private static partial void LogReclaimed(ILogger logger, long beforeMiB, long afterMiB, long pooledMiB, long heapMiB, long committedMiB, double pauseMs, string nativeHeap);
}
