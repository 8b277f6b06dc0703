using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// The connection's output, written straight to the socket: what is written goes into rented
/// blocks, and <see cref="FlushAsync"/> hands it to the kernel on the flushing thread with a
/// non-blocking send, then gives the blocks back. Only what the kernel does not take at once is
/// sent asynchronously; the flush is pending until it has gone, which is the backpressure the
/// socket's writers rely on (a client that does not read keeps the flush pending).
/// </summary>
/// <remarks>
/// One writer at a time, as with <see cref="Pipe"/>: no two flushes at once. Data written while
/// a flush is pending waits for the next flush. A send that fails ends the output: the flush,
/// and every one after it, returns <see cref="FlushResult.IsCompleted"/>.
/// </remarks>
internal sealed class SocketPipeWriter : PipeWriter, IValueTaskSource<FlushResult>
{
    private readonly TcpConnection _connection;
    private ManualResetValueTaskSourceCore<FlushResult> _waiter;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _sent;
    private Action? _onSent;

    // What the writer has written since the last flush.
    private BufferSegment? _first;
    private BufferSegment? _last;
    private long _unflushed;

    // What a pending flush is sending.
    private BufferSegment? _sending;
    private int _sendingFrom;
    private bool _sendPending;
    /// <summary>A caller waits for the pending send (it may have been cancelled).</summary>
    private bool _flushWaiting;
    /// <summary>A flush arrived while a cancelled one's send was still going: send what it adds once that is done.</summary>
    private bool _sendMore;
    /// <summary>The token of the flush that waits, and its registration: cancelling it ends the wait, not the send.</summary>
    private CancellationToken _flushToken;
    private CancellationTokenRegistration _flushCancellation;
    private bool _cancelNext;
    private bool _completed;
    private bool _closeWhenSent;
    private bool _failed;

    public SocketPipeWriter(TcpConnection connection) => _connection = connection;

    private Lock Gate => _connection.Gate;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    public override Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).Free;

    public override Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).Free.Span;

    private BufferSegment Reserve(int sizeHint)
    {
        if (_completed)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (_last is { } last && last.Free.Length >= Math.Max(sizeHint, 1))
        {
            return last;
        }

        var segment = BufferSegment.Rent(_connection.Pool, sizeHint);
        if (_last is null)
        {
            _first = segment;
        }
        else
        {
            _last.Append(segment);
        }

        _last = segment;
        return segment;
    }

    public override void Advance(int bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        if (_last is null || bytes < 0 || bytes > _last.Free.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _last.Commit(bytes);
        _unflushed += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // As Pipe does: what was written stays for the next flush.
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        lock (Gate)
        {
            if (_cancelNext)
            {
                _cancelNext = false;
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
            }

            if (_sendPending)
            {
                if (_flushWaiting)
                {
                    throw new InvalidOperationException("A flush is already pending.");
                }

                // The flush before this one was cancelled, but its send goes on: this one waits for it, then sends its own data.
                _sendMore = true;
                return WaitLocked(cancellationToken);
            }
        }

        if (_failed || _connection.IsClosed)
        {
            DropUnflushed();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        var data = TakeUnflushed();
        return data is null
            ? new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false))
            : Send(data, cancellationToken);
    }

    /// <summary>The flush waits for the send; its token, when it fires first, ends the wait (the send goes on, as after <see cref="CancelPendingFlush"/>).</summary>
    private ValueTask<FlushResult> WaitLocked(CancellationToken cancellationToken)
    {
        _waiter.Reset();
        _flushWaiting = true;
        var version = _waiter.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _flushToken = cancellationToken;
            // Registered under the lock, so the send's end (which takes it) finds the registration to dispose.
            _flushCancellation = cancellationToken.UnsafeRegister(static (writer, token) => ((SocketPipeWriter)writer!).EndWaitingFlush(token), this);
        }

        return new ValueTask<FlushResult>(this, version);
    }

    private void EndWaitingFlush(CancellationToken token)
    {
        lock (Gate)
        {
            if (!_flushWaiting || _flushToken != token)
            {
                // That flush is over; this is another's token, or none.
                return;
            }

            _flushWaiting = false;
            _sendMore = false;
            _flushToken = default;
            _flushCancellation = default;
        }

        _waiter.RunContinuationsAsynchronously = true;
        _waiter.SetException(new OperationCanceledException(token));
    }

    /// <summary>Takes the waiting flush's registration; disposed outside the lock, since its callback takes the lock.</summary>
    private CancellationTokenRegistration TakeFlushCancellationLocked()
    {
        var registration = _flushCancellation;
        _flushCancellation = default;
        _flushToken = default;
        return registration;
    }

    private BufferSegment? TakeUnflushed()
    {
        var first = _first;
        _first = null;
        _last = null;
        _unflushed = 0;
        return first;
    }

    /// <summary>
    /// The most segments one gathered send carries (one <c>sendmsg</c>): eight, the most the
    /// runtime pins and describes on the stack (Linux's UIO_FASTIOV). From nine on it allocates
    /// two arrays per send (measured on .NET 10: 264 bytes at 9 segments, 432 at 16; none at 8).
    /// A fan-out round owes a socket one to three segments; more is a backlog draining, where
    /// 32 KiB per system call is as good as 64.
    /// </summary>
    private const int MaxGathered = 8;

    [ThreadStatic]
    private static List<ArraySegment<byte>>? t_gathered;

    /// <summary>
    /// What a round owes a socket in one system call: a socket owed more than a segment
    /// (4 KiB) gets one gathered write instead of one per segment, as Kestrel's transport does.
    /// Null when the first segment is all there is, or a block is not array-backed.
    /// </summary>
    private static List<ArraySegment<byte>>? Gather(BufferSegment first, ReadOnlyMemory<byte> firstData)
    {
        if (first.NextSegment is null
            || !MemoryMarshal.TryGetArray(firstData, out var head))
        {
            return null;
        }

        var gathered = t_gathered ??= new List<ArraySegment<byte>>(MaxGathered);
        gathered.Add(head);
        for (var segment = first.NextSegment; segment is not null && gathered.Count < MaxGathered; segment = segment.NextSegment)
        {
            var data = segment.Data(0);
            if (data.Length == 0)
            {
                continue;
            }

            if (!MemoryMarshal.TryGetArray(data, out var part))
            {
                break;
            }

            gathered.Add(part);
        }

        if (gathered.Count == 1)
        {
            gathered.Clear();
            return null;
        }

        return gathered;
    }

    /// <summary>Sends on this thread what the kernel takes at once, and the rest asynchronously.</summary>
    private ValueTask<FlushResult> Send(BufferSegment first, CancellationToken cancellationToken)
    {
        var segment = first;
        var from = 0;
        while (segment is not null)
        {
            var data = segment.Data(from);
            if (data.Length == 0)
            {
                segment = segment.Return();
                from = 0;
                continue;
            }

            int sent;
            SocketError error;
            var gathered = Gather(segment, data);
            try
            {
                sent = gathered is null
                    ? _connection.Socket.Send(data.Span, SocketFlags.None, out error)
                    : _connection.Socket.Send(gathered, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                sent = 0;
                error = SocketError.OperationAborted;
            }
            finally
            {
                gathered?.Clear();
            }

            if (error == SocketError.Success && sent >= data.Length)
            {
                // The first segment went, and with a gathered send perhaps more: release what
                // went, and go on from where the kernel stopped taking.
                var left = sent;
                while (segment is not null && left > 0)
                {
                    var length = segment.Data(from).Length;
                    if (left < length)
                    {
                        from += left;
                        break;
                    }

                    left -= length;
                    segment = segment.Return();
                    from = 0;
                }

                continue;
            }

            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                BufferSegment.ReturnAll(segment);
                OnSendFailed();
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
            }

            // The kernel's buffer is full: the rest waits for the client to read.
            ValueTask<FlushResult> waiting;
            lock (Gate)
            {
                _sending = segment;
                _sendingFrom = from + (error == SocketError.Success ? sent : 0);
                _sendPending = true;
                waiting = WaitLocked(cancellationToken);
            }

            SendRest();
            return waiting;
        }

        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
    }

    /// <summary>Sends the pending data asynchronously, a block at a time, until all of it is gone or a send fails.</summary>
    private void SendRest()
    {
        while (true)
        {
            while (_sending is { } segment && segment.Data(_sendingFrom).Length == 0)
            {
                _sending = segment.Return();
                _sendingFrom = 0;
            }

            if (_sending is null)
            {
                if (FinishSend(failed: false))
                {
                    continue;
                }

                return;
            }

            ValueTask<int> send;
            try
            {
                send = _connection.Socket.SendAsync(_sending.Data(_sendingFrom), SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                send = ValueTask.FromException<int>(ex);
            }

            _sent = send.ConfigureAwait(false).GetAwaiter();
            if (!send.IsCompleted)
            {
                _sent.UnsafeOnCompleted(_onSent ??= OnSent);
                return;
            }

            if (!TakeSent())
            {
                return;
            }
        }
    }

    private void OnSent()
    {
        if (TakeSent())
        {
            SendRest();
        }
    }

    /// <summary>Counts what an asynchronous send took; false when it failed (the flush is then over).</summary>
    private bool TakeSent()
    {
        int sent;
        try
        {
            sent = _sent.GetResult();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _sent = default;
            BufferSegment.ReturnAll(_sending);
            _sending = null;
            FinishSend(failed: true);
            return false;
        }

        _sent = default;
        _sendingFrom += sent;
        return true;
    }

    /// <summary>
    /// Ends the pending send, or, when a flush or the writer's completion asked for more meanwhile
    /// (<see cref="_sendMore"/>), takes what was written since and returns true: the send goes on.
    /// One lock for both, so that what asks for more either sees the send pending or is seen here.
    /// </summary>
    private bool FinishSend(bool failed)
    {
        bool waiting;
        bool close;
        CancellationTokenRegistration cancellation;
        lock (Gate)
        {
            if (_sendMore && !failed)
            {
                _sendMore = false;
                _sending = TakeUnflushed();
                _sendingFrom = 0;
                return true;
            }

            _sendPending = false;
            waiting = _flushWaiting;
            _flushWaiting = false;
            _sendMore = false;
            close = _closeWhenSent;
            cancellation = TakeFlushCancellationLocked();
        }

        cancellation.Dispose();
        if (close)
        {
            // Written after the writer completed with an error, or left when the send failed:
            // nobody writes any more, and it goes nowhere.
            DropUnflushed();
        }

        if (failed)
        {
            OnSendFailed();
        }
        else if (close)
        {
            _connection.OnOutputDone();
        }

        if (waiting)
        {
            // The flush's caller goes on on this thread: it is a pool thread, woken by the socket.
            _waiter.RunContinuationsAsynchronously = false;
            _waiter.SetResult(new FlushResult(isCanceled: false, isCompleted: failed));
        }

        return false;
    }

    private void OnSendFailed()
    {
        _failed = true;
        _connection.OnOutputDone();
    }

    public override void CancelPendingFlush()
    {
        CancellationTokenRegistration cancellation;
        lock (Gate)
        {
            if (!_flushWaiting)
            {
                _cancelNext = true;
                return;
            }

            _flushWaiting = false;
            _sendMore = false;
            cancellation = TakeFlushCancellationLocked();
        }

        cancellation.Dispose();
        _waiter.RunContinuationsAsynchronously = true;
        _waiter.SetResult(new FlushResult(isCanceled: true, isCompleted: false));
    }

    /// <summary>
    /// Ends the output: what was written and not flushed is sent first (unless the writer failed),
    /// then the connection closes, as Kestrel's transport closes it when its output completes.
    /// </summary>
    public override void Complete(Exception? exception = null)
    {
        lock (Gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _closeWhenSent = true;
            if (_sendPending)
            {
                // The pending send closes the connection when it is done, after what was
                // written since (a writer whose flush was cancelled may have written more).
                _sendMore = exception is null;
                return;
            }
        }

        if (exception is null && !_failed && !_connection.IsClosed && TakeUnflushed() is { } rest)
        {
            var flush = Send(rest, CancellationToken.None);
            if (!flush.IsCompleted)
            {
                return;
            }
        }
        else
        {
            DropUnflushed();
        }

        _connection.OnOutputDone();
    }

    private void DropUnflushed() => BufferSegment.ReturnAll(TakeUnflushed());


    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
