namespace Chat.Channels.Internal;

/// <summary>
/// The bytes of client messages that one socket has queued for its channels and that have not
/// been handled yet (<see cref="ChannelsOptions.MaxQueuedInboundBytes"/>). The socket's reader
/// takes from it before it queues a message and waits while it is spent, so a client that sends
/// faster than its channels work holds back its own reader, whichever of its channels it floods.
/// </summary>
/// <remarks>
/// Each channel's mailbox is bounded in messages too, but a hundred channels of a thousand
/// slots of 64 KiB frames would be gigabytes; this bounds the socket as a whole, in bytes.
/// One message is always let in when nothing is queued, so that a frame larger than the budget
/// still gets handled. Only the socket's reader waits here, and it waits for one message at a
/// time, so one waiter is all there ever is.
/// </remarks>
internal sealed class InboundBudget(long limit, Lock gate)
{
    /// <summary>
    /// What a queued message costs beyond its payload: the command in the mailbox, the decoded
    /// topic, event and refs. It makes a flood of tiny frames count too.
    /// </summary>
    private const int MessageOverhead = 256;

    // The socket's own lock, shared: a lock object of its own would be 40 bytes of every idle socket.
    private readonly Lock _gate = gate;
    private long _queued;
    private TaskCompletionSource? _room;

    /// <summary>Bytes queued and not yet handled.</summary>
    public long Queued
    {
        get
        {
            lock (_gate)
            {
                return _queued;
            }
        }
    }

    /// <summary>What <paramref name="message"/> counts against the budget while it waits.</summary>
    public static long CostOf(in Serialization.InboundMessage message) =>
        MessageOverhead + message.Payload.Bytes.Length
        + 2L * (message.Topic.Length + message.Event.Length + (message.Ref?.Length ?? 0) + (message.JoinRef?.Length ?? 0));

    /// <summary>Takes <paramref name="bytes"/>, first waiting for room if the budget is spent.</summary>
    /// <exception cref="OperationCanceledException">The socket closed while the reader waited.</exception>
    public async ValueTask TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (_queued == 0 || _queued + bytes <= limit)
                {
                    _queued += bytes;
                    return;
                }

                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _room.Task;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back what a message took, once it has been handled or dropped.</summary>
    public void Release(long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        TaskCompletionSource? wake;
        lock (_gate)
        {
            _queued -= bytes;
            // Wake the reader once half the budget is free, so it queues a batch per wake-up.
            if (_room is null || _queued > limit / 2)
            {
                return;
            }

            wake = _room;
            _room = null;
        }

        wake.SetResult();
    }
}
