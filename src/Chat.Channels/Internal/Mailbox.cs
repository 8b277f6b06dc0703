namespace Chat.Channels.Internal;

/// <summary>
/// An ordered queue drained by at most one worker at a time: the C# stand-in for an
/// Erlang process mailbox. Items are handled strictly one after another, in the order
/// they were posted, and never concurrently.
/// </summary>
/// <remarks>
/// <para>No task waits on an empty mailbox: a worker is scheduled on the thread pool only
/// while items are pending, so an idle channel or an idle socket costs no thread, no timer
/// and no pending task. Nor does it hold a buffer: the queue is allocated small on first use
/// and released again once it has drained after a backlog, because a server holds one
/// mailbox per socket and one per joined channel, most of them idle.</para>
/// <para>A short lock guards the queue. Posts come from one producer at a time in the common
/// case (a socket's reader, a broadcast's dispatch), so it is almost never contended, and it
/// keeps the bookkeeping (count, capacity, waiting producer) in one consistent place. It is
/// the mailbox's own monitor, not a <see cref="Lock"/> object: the mailbox is never handed to
/// code that could lock it, and a lock object is 40 bytes of every idle channel.</para>
/// <para>The oldest pending item waits in a slot of its own, and only those behind it in a
/// queue: a channel mostly has one item at a time, so most never allocate the queue.</para>
/// <para>A handler that throws is the owner's concern: handlers catch their own exceptions,
/// and the mailbox only guarantees that it keeps draining.</para>
/// </remarks>
internal sealed class Mailbox<T> : IThreadPoolWorkItem
{
    // A backlog longer than this leaves a large array behind; release it once drained.
    private const int RetainedCapacity = 16;

    private readonly IMailboxHandler<T> _handler;
    // The oldest pending item, when there is one; those behind it are in the queue.
    private T _first = default!;
    private bool _hasFirst;
    private Queue<T>? _queue;
    private TaskCompletionSource? _roomWaiter;
    private int _roomThreshold;
    private int _count;
    private int _peak;
    private bool _scheduled;

    public Mailbox(IMailboxHandler<T> handler)
    {
        _handler = handler;
    }

    public Mailbox(Func<T, ValueTask> handler, Action<Exception> onHandlerFault)
        : this(new DelegateHandler(handler, onHandlerFault))
    {
    }

    /// <summary>Items posted and not yet fully handled.</summary>
    public int Count
    {
        get
        {
            lock (this)
            {
                return _count;
            }
        }
    }

    /// <summary>Posts an item whatever the queue's length. For control messages, which must never be lost.</summary>
    public void Post(T item)
    {
        bool schedule;
        lock (this)
        {
            schedule = Enqueue(item);
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Posts an item unless <paramref name="capacity"/> items are already pending.</summary>
    public bool TryPost(T item, int capacity)
    {
        bool schedule;
        lock (this)
        {
            if (_count >= capacity)
            {
                return false;
            }

            schedule = Enqueue(item);
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    /// <summary>
    /// Completes once fewer than <paramref name="capacity"/> items are pending, so a producer
    /// that reads from the network can stop reading instead of queueing without bound.
    /// </summary>
    public ValueTask WaitForRoomAsync(int capacity)
    {
        lock (this)
        {
            if (_count < capacity)
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

    /// <summary>Adds an item under the lock; true when a worker must be scheduled for it.</summary>
    private bool Enqueue(T item)
    {
        if (!_hasFirst && _queue is not { Count: > 0 })
        {
            _first = item;
            _hasFirst = true;
        }
        else
        {
            // Two slots: kept between bursts, so its first size is what a channel that once
            // had a backlog keeps.
            (_queue ??= new Queue<T>(2)).Enqueue(item);
        }

        _count++;
        _peak = Math.Max(_peak, _count);
        if (_scheduled)
        {
            return false;
        }

        _scheduled = true;
        return true;
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private async Task DrainAsync()
    {
        while (TryTake(out var item))
        {
            try
            {
                await _handler.HandleAsync(item).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _handler.OnHandlerFault(ex);
            }
            finally
            {
                _handler.Handled(item);
            }

            Handled();
        }
    }

    private bool TryTake(out T item)
    {
        lock (this)
        {
            if (_hasFirst)
            {
                // The slot is older than anything in the queue: it only fills when the queue is empty.
                item = _first;
                _first = default!;
                _hasFirst = false;
                return true;
            }

            if (_queue is { Count: > 0 } queue)
            {
                item = queue.Dequeue();
                return true;
            }

            // Drained: the next post schedules a new worker.
            _scheduled = false;
            if (_peak > RetainedCapacity)
            {
                _queue = null;
                _peak = 0;
            }

            item = default!;
            return false;
        }
    }

    private void Handled()
    {
        TaskCompletionSource? wake = null;
        lock (this)
        {
            _count--;
            if (_roomWaiter is not null && _count <= _roomThreshold)
            {
                wake = _roomWaiter;
                _roomWaiter = null;
            }
        }

        wake?.SetResult();
    }

    private sealed class DelegateHandler(Func<T, ValueTask> handle, Action<Exception> onFault) : IMailboxHandler<T>
    {
        public ValueTask HandleAsync(T item) => handle(item);

        public void OnHandlerFault(Exception exception) => onFault(exception);

        public void Handled(T item)
        {
        }
    }
}

/// <summary>What a <see cref="Mailbox{T}"/> runs: implemented by its owner, so that a mailbox holds one reference instead of two delegates.</summary>
internal interface IMailboxHandler<in T>
{
    /// <summary>Handles one item; the next waits until the returned task completes.</summary>
    ValueTask HandleAsync(T item);

    /// <summary>Called when <see cref="HandleAsync"/> throws; the mailbox goes on draining.</summary>
    void OnHandlerFault(Exception exception);

    /// <summary>
    /// Called once <paramref name="item"/> has been handled, whether its handler completed or
    /// threw, before the next item is taken. Cleanup that every item needs goes here rather than
    /// in a finally block of the handler: an async handler with a finally is one more state
    /// machine, boxed on the heap for every item that waits.
    /// </summary>
    void Handled(T item);
}
