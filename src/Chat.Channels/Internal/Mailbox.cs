using System.Collections.Concurrent;

namespace Chat.Channels.Internal;

/// <summary>
/// An ordered queue drained by at most one worker at a time: the C# stand-in for an
/// Erlang process mailbox. Items are handled strictly one after another, in the order
/// they were posted, and never concurrently.
/// </summary>
/// <remarks>
/// No task waits on an empty mailbox: a worker is scheduled on the thread pool only while
/// items are pending, so an idle channel or an idle socket costs no thread, no timer and
/// no pending task. A handler that throws is the owner's concern: handlers catch their
/// own exceptions, and the mailbox only guarantees it keeps draining.
/// </remarks>
internal sealed class Mailbox<T> : IThreadPoolWorkItem
{
    private readonly ConcurrentQueue<T> _queue = new();
    private readonly Func<T, ValueTask> _handler;
    private readonly Action<Exception> _onHandlerFault;
    private readonly object _roomGate = new();
    private TaskCompletionSource? _roomWaiter;
    private int _roomThreshold;
    private int _count;
    private int _scheduled;

    public Mailbox(Func<T, ValueTask> handler, Action<Exception> onHandlerFault)
    {
        _handler = handler;
        _onHandlerFault = onHandlerFault;
    }

    /// <summary>Items posted and not yet handled.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Posts an item whatever the queue's length. For control messages, which must never be lost.</summary>
    public void Post(T item)
    {
        Interlocked.Increment(ref _count);
        _queue.Enqueue(item);
        Schedule();
    }

    /// <summary>Posts an item unless <paramref name="capacity"/> items are already pending.</summary>
    public bool TryPost(T item, int capacity)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _queue.Enqueue(item);
        Schedule();
        return true;
    }

    /// <summary>
    /// Completes once fewer than <paramref name="capacity"/> items are pending, so a producer
    /// that reads from the network can stop reading instead of queueing without bound.
    /// </summary>
    public ValueTask WaitForRoomAsync(int capacity)
    {
        if (Count < capacity)
        {
            return ValueTask.CompletedTask;
        }

        lock (_roomGate)
        {
            if (Count < capacity)
            {
                return ValueTask.CompletedTask;
            }

            // Wake the producer at half capacity, not at the first free slot, so it reads a
            // batch of frames per wake-up instead of one.
            _roomThreshold = capacity / 2;
            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_roomWaiter.Task);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var item))
            {
                try
                {
                    await _handler(item).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _onHandlerFault(ex);
                }

                Interlocked.Decrement(ref _count);
                ReleaseWaiterIfRoom();
            }

            Volatile.Write(ref _scheduled, 0);
            // An item posted after the queue looked empty, but before the flag dropped,
            // found the flag set and did not schedule: take it over here.
            if (_queue.IsEmpty || Interlocked.Exchange(ref _scheduled, 1) == 1)
            {
                return;
            }
        }
    }

    private void ReleaseWaiterIfRoom()
    {
        if (Volatile.Read(ref _roomWaiter) is null)
        {
            return;
        }

        lock (_roomGate)
        {
            if (_roomWaiter is not null && Count <= _roomThreshold)
            {
                _roomWaiter.SetResult();
                _roomWaiter = null;
            }
        }
    }
}
