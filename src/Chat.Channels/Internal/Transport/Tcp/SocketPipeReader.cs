using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// The connection's input, read straight from the socket: no pipe and no receive loop between
/// them. While the reader waits and holds no data it waits with a zero-byte receive, so an idle
/// socket holds no buffer; once the socket is readable it receives into a rented block, and it
/// keeps only what the reader has not consumed.
/// </summary>
/// <remarks>
/// Semantics are those of <see cref="Pipe"/>'s reader, which Kestrel's HTTP/1.1 parser relies on:
/// a read returns at once while there is data the reader has not examined, and otherwise waits
/// for more; <see cref="TryRead"/> never touches the socket; <see cref="CancelPendingRead"/>
/// ends the pending read (or the next one) with <see cref="ReadResult.IsCanceled"/>. A reset
/// reads as a <see cref="ConnectionResetException"/>, an aborted connection as a
/// <see cref="ConnectionAbortedException"/>, as from Kestrel's own transport.
/// </remarks>
internal sealed partial class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    /// <summary>Less free space than this at the end of the last block, and a read takes a new block.</summary>
    private const int MinReceiveSpace = 512;

    private readonly TcpConnection _connection;
    private ManualResetValueTaskSourceCore<ReadResult> _waiter;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _readable;
    private Action? _onReadable;
    private CancellationTokenRegistration _cancellation;

    private BufferSegment? _head;
    private int _headStart;
    private BufferSegment? _tail;

    private ReadState _state;
    /// <summary>A zero-byte receive is outstanding (it may outlive a cancelled read).</summary>
    private bool _receiveOutstanding;
    /// <summary>Data arrived that the reader has not examined yet.</summary>
    private bool _unexamined;
    private bool _cancelNext;
    /// <summary>The watch (see <see cref="WatchWhileAway"/>) found data the reader has not asked for yet: no need to watch until it waits again.</summary>
    private bool _dataWaiting;
    /// <summary>Reads that had to wait for the socket, so far: tells the watch whether a read came after what it saw.</summary>
    private int _readsWaited;
    private bool _ended;
    private Exception? _error;
    private bool _completed;

    public SocketPipeReader(TcpConnection connection) => _connection = connection;

    private enum ReadState : byte
    {
        Idle,
        /// <summary>A read is pending, waiting for the socket.</summary>
        Waiting,
        /// <summary>The socket is readable and the pending read is being completed.</summary>
        Completing,
    }

    private Lock Gate => _connection.Gate;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            if (_completed)
            {
                throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
            }

            if (_state != ReadState.Idle)
            {
                throw new InvalidOperationException("A read is already pending.");
            }

            if (_cancelNext)
            {
                _cancelNext = false;
                return new ValueTask<ReadResult>(Result(canceled: true));
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_unexamined || _ended || _error is not null)
            {
                return new ValueTask<ReadResult>(ResultOrThrow());
            }

            _state = ReadState.Waiting;
            _dataWaiting = false;
            _readsWaited++;
            _waiter.Reset();
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static (reader, token) => ((SocketPipeReader)reader!).EndWaiting(token), this);
            }

            if (_receiveOutstanding)
            {
                // A cancelled read left its receive outstanding: this read takes its completion.
                return new ValueTask<ReadResult>(this, _waiter.Version);
            }

            _receiveOutstanding = true;
        }

        WaitUntilReadable();
        return new ValueTask<ReadResult>(this, _waiter.Version);
    }

    /// <summary>Waits for the socket with a zero-byte receive; when it completes at once, receives inline.</summary>
    private void WaitUntilReadable()
    {
        while (true)
        {
            ValueTask<int> readable;
            try
            {
                readable = _connection.Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                readable = ValueTask.FromException<int>(ex);
            }

            if (!readable.IsCompleted)
            {
                _readable = readable.ConfigureAwait(false).GetAwaiter();
                _readable.UnsafeOnCompleted(_onReadable ??= OnReadable);
                return;
            }

            _readable = readable.ConfigureAwait(false).GetAwaiter();
            if (!ReceiveWhenReadable())
            {
                return;
            }
        }
    }

    private void OnReadable()
    {
        if (ReceiveWhenReadable())
        {
            WaitUntilReadable();
        }
    }

    /// <summary>The zero-byte receive completed: receive what is there and complete the pending read. True when it was a false alarm and the wait must start again.</summary>
    private bool ReceiveWhenReadable()
    {
        Exception? failure = null;
        try
        {
            _readable.GetResult();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            failure = ex;
        }

        _readable = default;
        bool waiting;
        bool completed;
        int readsWaited;
        lock (Gate)
        {
            waiting = _state == ReadState.Waiting;
            completed = _completed;
            readsWaited = _readsWaited;
            if (waiting)
            {
                _state = ReadState.Completing;
            }
            else
            {
                _receiveOutstanding = false;
            }
        }

        if (!waiting)
        {
            // No read waits (it was cancelled, or this is the watch while the reader is away):
            // the data stays in the socket for the next read.
            if (!completed)
            {
                CheckClientStillThere(failure, readsWaited);
            }

            return false;
        }

        // No lock needed from here: only a waiting read's completion touches the buffer.
        var again = false;
        if (failure is not null)
        {
            Fail(failure);
        }
        else
        {
            again = !Receive();
        }

        var canceled = false;
        var token = _cancellation.Token;
        var tokenFired = false;
        lock (Gate)
        {
            // The read's token fired while it looked: its callback saw no waiting read and left
            // the read to end here (waiting again would wait past the cancellation).
            tokenFired = again && token.IsCancellationRequested;
            if (again && !_cancelNext && !tokenFired)
            {
                _state = ReadState.Waiting;
                return true;
            }

            if (again && !tokenFired)
            {
                // Cancelled while it looked: the read ends cancelled instead of waiting again.
                _cancelNext = false;
                canceled = true;
            }

            _receiveOutstanding = false;
            _state = ReadState.Idle;
        }

        _cancellation.Dispose();
        _cancellation = default;
        if (tokenFired)
        {
            _waiter.RunContinuationsAsynchronously = false;
            _waiter.SetException(new OperationCanceledException(token));
        }
        else if (canceled)
        {
            _waiter.RunContinuationsAsynchronously = false;
            _waiter.SetResult(Result(canceled: true));
        }
        else
        {
            CompleteWaiter();
        }

        return false;
    }

    /// <summary>One non-blocking receive into the buffer's free space. False when the socket had nothing after all.</summary>
    private bool Receive()
    {
        var target = _tail is { } tail && tail.Free.Length >= MinReceiveSpace ? tail : null;
        var fresh = target is null;
        if (fresh)
        {
            target = BufferSegment.Rent(_connection.Pool, -1);
        }

        int received;
        SocketError error;
        try
        {
            received = _connection.Socket.Receive(target!.Free.Span, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException ex)
        {
            received = 0;
            error = SocketError.OperationAborted;
            _error = _connection.AbortReason ?? new ConnectionAbortedException("The connection was aborted.", ex);
        }

        if (error == SocketError.Success && received > 0)
        {
            target!.Commit(received);
            if (fresh)
            {
                if (_tail is null)
                {
                    _head = target;
                    _headStart = 0;
                }
                else
                {
                    _tail.Append(target);
                }

                _tail = target;
            }

            _unexamined = true;
            return true;
        }

        if (fresh)
        {
            target!.Return();
        }

        if (error == SocketError.WouldBlock)
        {
            return false;
        }

        if (error == SocketError.Success && _connection.AbortReason is null)
        {
            // The client sent FIN: what is buffered is all there will be.
            _ended = true;
            _connection.OnReceiveEnded();
        }
        else if (_error is null)
        {
            // An end of stream after an abort is the abort's own shutdown of the socket, read
            // before the socket was disposed: the read fails with the abort's reason, as it
            // does when it comes after the dispose.
            Fail(new SocketException((int)(error == SocketError.Success ? SocketError.OperationAborted : error)));
        }

        return true;
    }

    private void Fail(Exception failure)
    {
        _error ??= (Exception?)_connection.AbortReason ?? failure switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted } reset
                => new ConnectionResetException(reset.Message, reset),
            SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument } or ObjectDisposedException
                => new ConnectionAbortedException("The connection was aborted.", failure),
            _ => new IOException(failure.Message, failure),
        };
        _connection.OnReceiveEnded();
    }

    /// <summary>Ends a waiting read early: cancelled by <see cref="CancelPendingRead"/>, or by the read's token.</summary>
    private void EndWaiting(CancellationToken token)
    {
        lock (Gate)
        {
            if (_state != ReadState.Waiting)
            {
                if (!token.CanBeCanceled)
                {
                    _cancelNext = true;
                }

                return;
            }

            _state = ReadState.Idle;
        }

        if (token.CanBeCanceled)
        {
            _waiter.RunContinuationsAsynchronously = true;
            _waiter.SetException(new OperationCanceledException(token));
        }
        else
        {
            _cancellation.Dispose();
            _cancellation = default;
            _waiter.RunContinuationsAsynchronously = true;
            _waiter.SetResult(Result(canceled: true));
        }
    }

    /// <summary>Completes the waiting read inline: this runs in the socket's completion, on a pool thread.</summary>
    private void CompleteWaiter()
    {
        _waiter.RunContinuationsAsynchronously = false;
        if (_error is not null)
        {
            _waiter.SetException(_error);
        }
        else
        {
            _waiter.SetResult(Result(canceled: false));
        }
    }

    private ReadResult ResultOrThrow() => _error is not null ? throw _error : Result(canceled: false);

    private ReadResult Result(bool canceled)
    {
        var buffer = _head is null ? default : new ReadOnlySequence<byte>(_head, _headStart, _tail!, _tail!.End);
        return new ReadResult(buffer, canceled, _ended);
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (Gate)
        {
            if (_completed)
            {
                throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
            }

            if (_cancelNext)
            {
                _cancelNext = false;
                result = Result(canceled: true);
                return true;
            }

            if (_head is not null || _ended || _error is not null)
            {
                result = ResultOrThrow();
                return true;
            }
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Advance(consumed, examined);
        WatchWhileAway();
    }

    private void Advance(SequencePosition consumed, SequencePosition examined)
    {
        if (_head is null)
        {
            return;
        }

        // Examined up to the end: the next read waits for more.
        _unexamined = !(ReferenceEquals(examined.GetObject(), _tail) && examined.GetInteger() == _tail!.End);
        var consumedSegment = (BufferSegment?)consumed.GetObject();
        if (consumedSegment is null)
        {
            return;
        }

        var index = consumed.GetInteger();
        if (ReferenceEquals(consumedSegment, _tail) && index == _tail!.End)
        {
            // Everything consumed: the blocks go back, and a quiet socket holds none.
            ReleaseAll();
            _unexamined = false;
            return;
        }

        while (!ReferenceEquals(_head, consumedSegment))
        {
            _head = _head!.Return();
            if (_head is null)
            {
                throw new InvalidOperationException("The position is not in this reader's buffer.");
            }
        }

        _headStart = index;
    }

    public override void CancelPendingRead() => EndWaiting(default);

    public override void Complete(Exception? exception = null)
    {
        lock (Gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_state == ReadState.Idle)
            {
                // A read still pending keeps its buffer; the collector takes it with the reader.
                ReleaseAll();
            }
        }

        // The socket stays open until the output is done too, as with Kestrel's transport.
    }

    private void ReleaseAll()
    {
        BufferSegment.ReturnAll(_head);
        _head = null;
        _tail = null;
        _headStart = 0;
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
