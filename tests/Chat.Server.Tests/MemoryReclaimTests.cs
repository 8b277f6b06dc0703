using System.Runtime.InteropServices;
using Chat.Server.Memory;

namespace Chat.Server.Tests;

/// <summary>When the server gives memory back (<see cref="ReclaimTrigger"/>), reading by reading, and the transport pool it empties.</summary>
public sealed class MemoryReclaimTests
{
    private const long MiB = 1024 * 1024;
    private const double Idle = 0.01;
    private const double Busy = 0.5;

    /// <summary>A trigger past its first half minute, so that the spacing between reclaims does not hide what is tested.</summary>
    private static ReclaimTrigger Started(int sockets, long allocatedMiB)
    {
        var trigger = new ReclaimTrigger(closedSockets: 1_000, allocatedBytes: 64 * MiB);
        Assert.Equal(new string('.', ReclaimTrigger.MinReadingsBetween), Decisions(trigger, Enumerable.Repeat((sockets, allocatedMiB, Busy), ReclaimTrigger.MinReadingsBetween).ToArray()));
        return trigger;
    }

    /// <summary>One character per reading: <c>R</c> where the trigger says to reclaim, <c>.</c> where not.</summary>
    private static string Decisions(ReclaimTrigger trigger, params (int Sockets, long AllocatedMiB, double Cpu)[] readings) =>
        string.Concat(readings.Select(reading => trigger.Observe(reading.Sockets, reading.AllocatedMiB * MiB, reading.Cpu) ? 'R' : '.'));

    [Fact]
    public void Ten_thousand_sockets_closing_reclaim_once_the_closes_have_stopped_and_the_process_is_quiet()
    {
        var trigger = Started(10_000, 0);
        // Closing (busy, then quiet but still closing), then two quiet readings, then nothing freed since.
        Assert.Equal("....R", Decisions(trigger, (6_000, 1, Busy), (2_000, 2, Idle), (0, 3, Idle), (0, 3, Idle), (0, 3, Idle)));
        Assert.Equal(new string('.', 100), Decisions(trigger, Enumerable.Repeat((0, 3L, Idle), 100).ToArray()));
    }

    [Fact]
    public void A_quiet_server_that_freed_little_keeps_what_it_has()
    {
        var trigger = Started(1_000, 0);
        // 900 closed and 63 MiB allocated: under both thresholds.
        Assert.Equal(new string('.', 100), Decisions(trigger, Enumerable.Repeat((100, 63L, Idle), 100).ToArray()));
    }

    [Fact]
    public void A_busy_spell_that_allocated_much_reclaims_when_it_ends_not_while_it_lasts()
    {
        var trigger = Started(25, 0);
        var busy = Enumerable.Range(1, 50).Select(i => (25, i * 10L, Busy)).ToArray();
        Assert.Equal(new string('.', 50), Decisions(trigger, busy));
        Assert.Equal(".R", Decisions(trigger, (25, 500, Idle), (25, 500, Idle)));
    }

    /// <summary>One character per reading of a <see cref="RefillTrigger"/>: <c>R</c> where it says to reclaim again.</summary>
    private static string Refills(RefillTrigger trigger, params (int Sockets, long PooledBlocks, double Cpu)[] readings) =>
        string.Concat(readings.Select(reading => trigger.Observe(reading.Sockets, reading.PooledBlocks * TransportMemoryPool.BlockSize, reading.Cpu) ? 'R' : '.'));

    [Fact]
    public void Blocks_of_late_joins_that_come_back_after_a_reclaim_get_one_more_once_the_joins_have_stopped()
    {
        var refill = new RefillTrigger();
        refill.Arm(9_850, pinnedFree: 27 * MiB);
        // The last 150 joins trickle in, their blocks coming back; then the count stops moving.
        Assert.Equal("...", Refills(refill, (9_900, 10, Idle), (9_950, 20, Idle), (10_000, 30, Idle)));
        Assert.Equal(".R", Refills(refill, (10_000, 30, Idle), (10_000, 30, Idle)));
        // Only one per reclaim.
        Assert.Equal(new string('.', 40), Refills(refill, Enumerable.Repeat((10_000, 30L, Idle), 40).ToArray()));
    }

    [Fact]
    public void No_second_reclaim_when_the_pinned_heap_was_left_compact_nor_for_an_empty_pool_nor_after_half_a_minute_nor_while_busy()
    {
        var refill = new RefillTrigger();
        Assert.Equal("...", Refills(refill, (0, 1_000, Idle), (0, 1_000, Idle), (0, 1_000, Idle)));
        refill.Arm(100, pinnedFree: 3 * MiB);
        Assert.Equal("...", Refills(refill, (100, 1_000, Idle), (100, 1_000, Idle), (100, 1_000, Idle)));

        refill.Arm(100, pinnedFree: 8 * MiB);
        Assert.Equal(new string('.', 10), Refills(refill, Enumerable.Repeat((100, 0L, Idle), 10).ToArray()));
        Assert.Equal(new string('.', 5), Refills(refill, Enumerable.Repeat((100, 500L, Busy), 5).ToArray()));
        Assert.Equal(new string('.', 15), Refills(refill, Enumerable.Repeat((100, 0L, Idle), 15).ToArray()));
        // Past the half minute after the reclaim: nothing.
        Assert.Equal("..", Refills(refill, (100, 500, Idle), (100, 500, Idle)));
    }

    [Fact]
    public void A_busy_second_between_quiet_ones_starts_the_count_again() =>
        Assert.Equal("...R", Decisions(Started(0, 0), (0, 100, Idle), (0, 100, Busy), (0, 100, Idle), (0, 100, Idle)));

    [Fact]
    public void Reclaims_are_half_a_minute_apart_at_least()
    {
        var trigger = Started(0, 0);
        Assert.Equal(".R", Decisions(trigger, (0, 100, Idle), (0, 100, Idle)));
        // Much allocated between every reading, the process quiet: the next reclaim waits out the spacing.
        var readings = Enumerable.Range(1, ReclaimTrigger.MinReadingsBetween).Select(i => (0, 100 + (i * 100L), Idle)).ToArray();
        Assert.Equal(new string('.', ReclaimTrigger.MinReadingsBetween - 1) + "R", Decisions(trigger, readings));
    }

    [Fact]
    public void The_transport_pool_reuses_returned_blocks_and_lets_the_free_ones_go_when_trimmed()
    {
        var factory = new TransportMemoryPoolFactory();
        using var pool = factory.Create();
        var rented = Enumerable.Range(0, 8).Select(_ => pool.Rent()).ToList();
        Assert.All(rented, block => Assert.Equal(TransportMemoryPool.BlockSize, block.Memory.Length));
        var first = rented[0].Memory;
        foreach (var block in rented.Skip(2))
        {
            block.Dispose();
        }

        Assert.Equal(6 * TransportMemoryPool.BlockSize, factory.FreeBytes);
        using (var again = pool.Rent())
        {
            Assert.False(again.Memory.Span.Overlaps(first.Span), "a block still rented is never handed out twice");
        }

        Assert.Equal(6 * TransportMemoryPool.BlockSize, factory.Trim());
        Assert.Equal(0, factory.FreeBytes);
        rented[0].Dispose();
        rented[1].Dispose();
        Assert.Equal(2 * TransportMemoryPool.BlockSize, factory.FreeBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(TransportMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void The_C_heap_is_trimmed_where_the_C_library_is_glibc_and_left_alone_elsewhere()
    {
        // The one thing that can go wrong unseen: the call not resolving, so that the reclaim
        // silently keeps the C heap's free pages. glibc is the C library of every Linux this runs
        // on except musl-based ones (Alpine), whose runtime identifiers say so.
        var glibc = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        Assert.Equal(glibc, NativeHeap.Trim());
        Assert.Equal(glibc, NativeHeap.Trim());
    }
}
