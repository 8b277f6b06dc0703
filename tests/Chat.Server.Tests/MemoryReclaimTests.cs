using Chat.Server.Memory;

namespace Chat.Server.Tests;

/// <summary>When the server gives memory back (<see cref="ReclaimTrigger"/>), reading by reading, and the transport pool it empties.</summary>
public sealed class MemoryReclaimTests
{
    private const long MiB = 1024 * 1024;
    private const double Idle = 0.01;
    private const double Busy = 0.5;

    /// <summary>A trigger past its first half minute, so that the spacing between reclaims does not hide what is tested.</summary>
    private static ReclaimTrigger Started(int sockets, long allocated)
    {
        var trigger = new ReclaimTrigger(closedSockets: 1_000, allocatedBytes: 64 * MiB);
        for (var i = 0; i < ReclaimTrigger.MinReadingsBetween; i++)
        {
            Assert.False(trigger.Observe(sockets, allocated, Busy));
        }

        return trigger;
    }

    [Fact]
    public void Ten_thousand_sockets_closing_reclaim_once_the_closes_have_stopped_and_the_process_is_quiet()
    {
        var trigger = Started(10_000, 0);
        Assert.False(trigger.Observe(6_000, 1 * MiB, Busy));
        Assert.False(trigger.Observe(2_000, 2 * MiB, Idle)); // still closing
        Assert.False(trigger.Observe(0, 3 * MiB, Idle)); // still closing
        Assert.False(trigger.Observe(0, 3 * MiB, Idle)); // one quiet reading
        Assert.True(trigger.Observe(0, 3 * MiB, Idle));
        for (var i = 0; i < 100; i++)
        {
            Assert.False(trigger.Observe(0, 3 * MiB, Idle)); // nothing freed since
        }
    }

    [Fact]
    public void A_quiet_server_that_freed_little_keeps_what_it_has()
    {
        var trigger = Started(1_000, 0);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(trigger.Observe(100, 63 * MiB, Idle)); // 900 closed, 63 MiB allocated: under both thresholds
        }
    }

    [Fact]
    public void A_busy_spell_that_allocated_much_reclaims_when_it_ends_not_while_it_lasts()
    {
        var trigger = Started(25, 0);
        for (var i = 1; i <= 50; i++)
        {
            Assert.False(trigger.Observe(25, i * 10 * MiB, Busy));
        }

        Assert.False(trigger.Observe(25, 500 * MiB, Idle));
        Assert.True(trigger.Observe(25, 500 * MiB, Idle));
    }

    [Fact]
    public void A_busy_second_between_quiet_ones_starts_the_count_again()
    {
        var trigger = Started(0, 0);
        Assert.False(trigger.Observe(0, 100 * MiB, Idle));
        Assert.False(trigger.Observe(0, 100 * MiB, Busy));
        Assert.False(trigger.Observe(0, 100 * MiB, Idle));
        Assert.True(trigger.Observe(0, 100 * MiB, Idle));
    }

    [Fact]
    public void Reclaims_are_half_a_minute_apart_at_least()
    {
        var trigger = Started(0, 0);
        Assert.False(trigger.Observe(0, 100 * MiB, Idle));
        Assert.True(trigger.Observe(0, 100 * MiB, Idle));
        var readings = 0;
        for (var allocated = 200 * MiB; !trigger.Observe(0, allocated, Idle); allocated += 100 * MiB)
        {
            readings++;
        }

        Assert.Equal(ReclaimTrigger.MinReadingsBetween - 1, readings);
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
}
