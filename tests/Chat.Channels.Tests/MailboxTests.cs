using Chat.Channels.Internal;

namespace Chat.Channels.Tests;

public sealed class MailboxTests
{
    [Fact]
    public async Task Items_are_handled_in_order_and_never_two_at_once()
    {
        var handled = new List<int>();
        var inside = 0;
        var overlaps = 0;
        var done = new TaskCompletionSource();
        var mailbox = new Mailbox<int>(
            async item =>
            {
                if (Interlocked.Increment(ref inside) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                await Task.Yield();
                handled.Add(item);
                Interlocked.Decrement(ref inside);
                if (item == 999)
                {
                    done.SetResult();
                }
            },
            ex => throw ex);

        for (var i = 0; i < 1000; i++)
        {
            mailbox.Post(i);
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Enumerable.Range(0, 1000), handled);
        Assert.Equal(0, overlaps);
    }

    [Fact]
    public async Task Items_posted_while_one_is_handled_keep_their_order()
    {
        var handled = new List<int>();
        var gate = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        var done = new TaskCompletionSource();
        var mailbox = new Mailbox<int>(
            async item =>
            {
                if (item == 0)
                {
                    started.SetResult();
                    await gate.Task;
                }

                lock (handled)
                {
                    handled.Add(item);
                }

                if (item == 4)
                {
                    done.SetResult();
                }
            },
            ex => throw ex);

        // 0 is taken and waits; 1 takes the slot, 2 and 3 queue behind it; 4 comes after the release.
        mailbox.Post(0);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        mailbox.Post(1);
        mailbox.Post(2);
        mailbox.Post(3);
        gate.SetResult();
        mailbox.Post(4);

        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 1, 2, 3, 4], handled);
    }

    [Fact]
    public async Task A_handler_that_throws_does_not_stop_the_mailbox()
    {
        var faults = 0;
        var last = new TaskCompletionSource<int>();
        var mailbox = new Mailbox<int>(
            item => item == 1 ? throw new InvalidOperationException() : (item == 2 ? Complete(last, item) : ValueTask.CompletedTask),
            _ => Interlocked.Increment(ref faults));

        mailbox.Post(1);
        mailbox.Post(2);

        Assert.Equal(2, await last.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, faults);
    }

    [Fact]
    public async Task A_full_mailbox_refuses_posts_and_wakes_a_waiting_producer_at_half_capacity()
    {
        var gate = new TaskCompletionSource();
        var mailbox = new Mailbox<int>(async _ => await gate.Task, ex => throw ex);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(mailbox.TryPost(i, capacity: 4));
        }

        Assert.False(mailbox.TryPost(4, capacity: 4));
        var room = mailbox.WaitForRoomAsync(capacity: 4).AsTask();
        Assert.False(room.IsCompleted);

        gate.SetResult();

        await room.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(mailbox.TryPost(5, capacity: 4));
    }

    private static ValueTask Complete(TaskCompletionSource<int> source, int value)
    {
        source.SetResult(value);
        return ValueTask.CompletedTask;
    }
}
