using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Unicode;
using Chat.Channels.Internal.Serialization;
using Microsoft.AspNetCore.Connections;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// One WebSocket, served by this library's own RFC 6455 framing straight on the connection's
/// pipes: a receive loop that holds no buffer while the client is quiet, and a send path that
/// writes each frame into the transport's output pipe from whatever thread sends it.
/// </summary>
/// <remarks>
/// <para><b>Sending.</b> A frame is copied into the output pipe on the sender's thread (no
/// queue of frames, no task), and the socket's flush is owed to the end of the send batch it
/// was sent in, or else to the <see cref="FlushQueue"/>: every frame written to the socket
/// before that flush leaves in the same write, so a busy server makes fewer, fuller writes.
/// When the pipe is full (the client reads slower than it is sent to), the flush is pending:
/// frames then wait in a backlog, written all at once when the flush completes, and a backlog longer than <see cref="ChannelsOptions.MaxPendingFrames"/>
/// or <see cref="ChannelsOptions.MaxPendingBytes"/> disconnects the client as a slow consumer.</para>
/// <para><b>Receiving.</b> Frames are untrusted input: every length is checked before anything is
/// buffered, a message is assembled from its fragments in a pooled buffer bounded by
/// <see cref="ChannelsOptions.MaxFrameBytes"/> (1009 beyond it), control frames may come between
/// fragments, unmasked frames, reserved bits and unknown opcodes close with 1002, and text that is
/// not UTF-8 with 1007.</para>
/// </remarks>
internal sealed class WebSocketSession : ISocketTransport
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Action _abort;
    private readonly ChannelsRuntime _runtime;
    private readonly Lock _gate = new();
    private SocketConnection? _connection;
    /// <summary>Frames longer than this are written into the pipe a chunk at a time.</summary>
    private const int ChunkBytes = 16 * 1024;

    private Queue<(OutboundFrame Frame, bool IsWholeFrame)>? _backlog;
    private OutboundFrame? _partial;
    private int _partialOffset;
    private long _backlogBytes;
    private bool _flushing;
    /// <summary>Frames are in the pipe unflushed, and a send batch, the flush queue or the receive loop owes their flush.</summary>
    private bool _flushQueued;
    /// <summary>A reply is among the unflushed frames, and the flush queue's replies (or a send batch) hold the socket.</summary>
    private bool _replyQueued;
    /// <summary>
    /// The receive loop is handing a client message to the socket (see <see cref="Receive"/>):
    /// it flushes what that writes (a heartbeat's reply above all) on its own thread when it is
    /// done, instead of waking the flush queue's thread for it.
    /// </summary>
    private bool _receiving;
    /// <summary>Frames written into the pipe since its last flush: what the next write carries.</summary>
    private int _unflushedFrames;
    private bool _closeRequested;
    private (WebSocketCloseStatus Status, string Reason)? _closeQueued;
    private bool _aborted;
    private TaskCompletionSource? _drained;
    private CancellationTokenSource? _closeDeadline;
    private long _lastReceivedTicks = Environment.TickCount64;

    public WebSocketSession(IDuplexPipe transport, Action abort, ChannelsRuntime runtime)
    {
        _input = transport.Input;
        _output = transport.Output;
        _abort = abort;
        _runtime = runtime;
    }

    /// <summary>Milliseconds (<see cref="Environment.TickCount64"/>) of the last frame from the client.</summary>
    public long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);

    public string? SocketId => _connection?.Id;

    /// <summary>
    /// Runs the connection until the socket closes; returns when it is fully torn down, and the
    /// socket has left <paramref name="registry"/> and given back <paramref name="lease"/> (its
    /// place in the socket quotas). Those are done here, not by the caller after an await of its
    /// own: an idle socket then keeps one frame fewer (136 bytes) for its whole life.
    /// </summary>
    public async Task RunAsync(SocketConnection connection, SocketRegistry registry, IDisposable lease)
    {
        _connection = connection;
        try
        {
            await connection.StartAsync(CancellationToken.None).ConfigureAwait(false);
            await ReceiveLoopAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionAbortedException or InvalidOperationException)
        {
            // The client vanished or the connection was aborted: either way we are done.
        }
        finally
        {
            try
            {
                await connection.TerminateAsync(registry.IsShuttingDown ? TerminateReason.Shutdown : TerminateReason.Closed).ConfigureAwait(false);
                await FinishAsync().ConfigureAwait(false);
                ChannelsLog.SocketClosed(_runtime.Logger, connection.Id);
            }
            finally
            {
                registry.Remove(this);
                lease.Dispose();
                ChannelsMetrics.ActiveSockets.Add(-1, ChannelsMetrics.Transport(ChannelsMetrics.WebSocket));
            }
        }
    }

    /// <summary>
    /// Lets what is queued (the close frame above all) reach the pipe, then completes both
    /// pipes: the transport sends what is left and closes the connection. A client that reads
    /// a reset instead of a close frame never learns the close code, and the code decides
    /// whether phoenix.js reconnects.
    /// </summary>
    private async Task FinishAsync()
    {
        Task? drained = null;
        lock (_gate)
        {
            if (_flushing && !_aborted)
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
            }
        }

        if (drained is not null)
        {
            try
            {
                await drained.WaitAsync(_runtime.Options.CloseTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Abort();
            }
        }

        lock (_gate)
        {
            _aborted = true;
            _backlog = null;
            _partial = null;
        }

        _closeDeadline?.Dispose();
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(SocketConnection connection)
    {
        var maxMessageBytes = _runtime.Options.MaxFrameBytes;
        var message = new MessageBuffer(maxMessageBytes);
        try
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            while (true)
            {
                if (result.IsCanceled && IsClosingOrAborted)
                {
                    // The close deadline passed, or the connection was aborted.
                    return;
                }

                var buffer = result.Buffer;
                WebSocketFrames.Header header;
                try
                {
                    var complete = WebSocketFrames.TryReadHeader(buffer, out header);
                    if (complete && !header.IsControl && message.Length + header.PayloadLength > maxMessageBytes)
                    {
                        // Refused from its header, before a byte of it is buffered.
                        throw new MessageTooBigException();
                    }

                    if (!complete || buffer.Length - header.HeaderLength < header.PayloadLength)
                    {
                        if (result.IsCompleted)
                        {
                            return;
                        }

                        _input.AdvanceTo(buffer.Start, buffer.End);
                        result = await _input.ReadAsync().ConfigureAwait(false);
                        continue;
                    }
                }
                catch (WebSocketProtocolException ex)
                {
                    _input.AdvanceTo(buffer.End);
                    Close(WebSocketCloseStatus.ProtocolError, ex.Message);
                    result = await _input.ReadAsync().ConfigureAwait(false);
                    continue;
                }
                catch (MessageTooBigException)
                {
                    _input.AdvanceTo(buffer.End);
                    Close(WebSocketCloseStatus.MessageTooBig, $"frames are limited to {maxMessageBytes} bytes");
                    result = await _input.ReadAsync().ConfigureAwait(false);
                    continue;
                }

                Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
                var payload = buffer.Slice(header.HeaderLength, header.PayloadLength);
                var frameEnd = payload.End;
                var stop = await HandleFrameAsync(connection, header, payload, message, frameEnd).ConfigureAwait(false);
                if (stop)
                {
                    return;
                }

                if (!_input.TryRead(out result))
                {
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            message.Dispose();
        }
    }

    private bool IsClosingOrAborted
    {
        get
        {
            lock (_gate)
            {
                return _aborted || (_closeRequested && _closeDeadline is { IsCancellationRequested: true });
            }
        }
    }

    /// <summary>Handles one whole frame; advances the reader past it. True when the session is over.</summary>
    private async ValueTask<bool> HandleFrameAsync(SocketConnection connection, WebSocketFrames.Header header, ReadOnlySequence<byte> payload, MessageBuffer message, SequencePosition frameEnd)
    {
        if (header.IsControl)
        {
            Span<byte> control = stackalloc byte[WebSocketFrames.MaxControlPayload];
            control = control[..(int)header.PayloadLength];
            WebSocketFrames.CopyUnmasked(payload, control, header.MaskKey);
            _input.AdvanceTo(frameEnd);
            return HandleControl(header.Opcode, control);
        }

        var protocolError = header.Opcode == WebSocketFrames.Continuation
            ? (message.IsStarted ? null : "a continuation frame without a message to continue")
            : (message.IsStarted ? "a new message before the previous one ended" : null);
        if (protocolError is not null)
        {
            _input.AdvanceTo(frameEnd);
            Close(WebSocketCloseStatus.ProtocolError, protocolError);
            return false;
        }

        message.Append(header, payload);
        _input.AdvanceTo(frameEnd);
        if (!header.Fin)
        {
            return false;
        }

        var isBinary = message.Opcode == WebSocketFrames.Binary;
        var bytes = message.Complete();
        try
        {
            if (Volatile.Read(ref _closeRequested))
            {
                // Closing: frames that arrive before the client's close frame are not handled.
                return false;
            }

            if (!isBinary && !Utf8.IsValid(bytes.Span))
            {
                Close(WebSocketCloseStatus.InvalidPayloadData, "text frame is not valid UTF-8");
                return false;
            }

            InboundMessage decoded;
            try
            {
                decoded = connection.Serializer.Decode(bytes.Span, isBinary);
            }
            catch (FrameDecodeException ex)
            {
                Close(ex.CloseStatus, ex.Message);
                return false;
            }

            await Receive(connection, decoded).ConfigureAwait(false);
            return false;
        }
        finally
        {
            message.Reset();
        }
    }

    /// <summary>
    /// Hands a message to the socket. What that writes in the meantime, on this thread (a
    /// heartbeat's reply, an error reply) or from another, is flushed here before the loop waits
    /// for anything: an idle socket's heartbeat costs a read, a reply and a write on the thread
    /// that read it, with no thread woken for it.
    /// </summary>
    private ValueTask Receive(SocketConnection connection, InboundMessage message)
    {
        lock (_gate)
        {
            _receiving = true;
        }

        try
        {
            return connection.HandleAsync(message);
        }
        finally
        {
            lock (_gate)
            {
                _receiving = false;
                if (_flushQueued && !_flushing && !_aborted)
                {
                    TryFlushLocked();
                }
            }
        }
    }

    /// <summary>Ping, pong and close. True when the close handshake is complete.</summary>
    private bool HandleControl(byte opcode, ReadOnlySpan<byte> payload)
    {
        switch (opcode)
        {
            case WebSocketFrames.Ping:
                SendControl(WebSocketFrames.Pong, payload);
                return false;
            case WebSocketFrames.Pong:
                return false;
            default:
                OnClientClosed(payload);
                return true;
        }
    }

    private void OnClientClosed(ReadOnlySpan<byte> payload)
    {
        WebSocketCloseStatus status;
        var reason = "";
        if (payload.Length == 0)
        {
            status = WebSocketCloseStatus.NormalClosure;
        }
        else if (payload.Length == 1
            || !WebSocketFrames.IsValidCloseCode(BinaryPrimitives.ReadUInt16BigEndian(payload))
            || !Utf8.IsValid(payload[2..]))
        {
            status = WebSocketCloseStatus.ProtocolError;
            reason = "malformed close frame";
        }
        else
        {
            // The client started the close handshake: answer it with its own code.
            status = (WebSocketCloseStatus)BinaryPrimitives.ReadUInt16BigEndian(payload);
        }

        lock (_gate)
        {
            if (_closeRequested)
            {
                return;
            }

            _closeRequested = true;
            QueueOrWriteCloseLocked(status, reason);
        }
    }

    /// <summary>
    /// A reply, which its client is waiting for: its socket goes to the flush queue's replies,
    /// which are flushed at once even while the queue rests after a crowd's round (see
    /// <see cref="FlushQueue"/>). The broadcasts already in the pipe leave with it.
    /// </summary>
    public void SendReply(OutboundFrame frame) => Send(frame, isReply: true);

    public void Send(OutboundFrame frame) => Send(frame, isReply: false);

    private void Send(OutboundFrame frame, bool isReply)
    {
        lock (_gate)
        {
            if (_closeRequested || _aborted)
            {
                return;
            }

            if (_flushing)
            {
                var size = frame.Data.Length;
                var options = _runtime.Options;
                if (_backlog is { Count: > 0 } backlog
                    && (backlog.Count >= options.MaxPendingFrames || _backlogBytes + size > options.MaxPendingBytes))
                {
                    ChannelsLog.SlowConsumer(_runtime.Logger, SocketId, backlog.Count, _backlogBytes + size);
                    ChannelsMetrics.SlowConsumers.Add(1);
                    ChannelsMetrics.DroppedFrames.Add(backlog.Count + 1);
                    // The client is not reading, so a close frame would only wait behind the others.
                    AbortLocked();
                    return;
                }

                Enqueue(frame, isWholeFrame: false);
                return;
            }

            if (frame.Data.Length <= ChunkBytes)
            {
                // The common case: one small frame, straight into the pipe. Its flush is left
                // to the receive loop if it is handing this socket a message, else to the end of
                // the send batch this runs in, or else to the flush queue, so that frames sent
                // to this socket meanwhile leave with it in one write.
                WebSocketFrames.WriteFrame(_output, frame.IsBinary ? WebSocketFrames.Binary : WebSocketFrames.Text, frame.Data.Span);
                _unflushedFrames++;
                // A reply queues the socket again when it waits among the broadcasts' flushes:
                // the flush queue's replies then take it first (the later turn finds it flushed).
                if (isReply ? !_replyQueued : !_flushQueued)
                {
                    _flushQueued = true;
                    _replyQueued |= isReply;
                    if (!_receiving && (SendBatch.Current is not { } batch || !batch.TryDefer(this)))
                    {
                        FlushQueue.Shared.Add(this, isReply);
                    }
                }

                return;
            }

            Enqueue(frame, isWholeFrame: false);
            PumpLocked();
        }
    }

    private void SendControl(byte opcode, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_closeRequested || _aborted)
            {
                return;
            }

            if (_flushing)
            {
                // A pong may wait behind the backlog like any frame; it is small and rare.
                Enqueue(new OutboundFrame(ControlFrame(opcode, payload), IsBinary: true), isWholeFrame: true);
                return;
            }

            WebSocketFrames.WriteFrame(_output, opcode, payload);
            TryFlushLocked();
        }
    }

    /// <summary>
    /// The flush queue's turn: flushes what was written since the last flush. Returns how many
    /// frames that write carries (0 when a send batch or a full pipe's flush took them already).
    /// </summary>
    /// <summary>A reply waits among the unflushed frames: where a send batch hands the socket on to.</summary>
    public bool OwesReply => Volatile.Read(ref _replyQueued);

    public int FlushQueued()
    {
        lock (_gate)
        {
            if (!_flushQueued)
            {
                return 0;
            }

            _flushQueued = false;
            _replyQueued = false;
            var frames = _unflushedFrames;
            if (!_flushing && !_aborted)
            {
                TryFlushLocked();
                return frames;
            }

            return 0;
        }
    }

    private void Enqueue(OutboundFrame frame, bool isWholeFrame)
    {
        (_backlog ??= new Queue<(OutboundFrame, bool)>()).Enqueue((frame, isWholeFrame));
        _backlogBytes += frame.Data.Length;
    }

    private static byte[] ControlFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[WebSocketFrames.MaxServerHeaderLength + payload.Length];
        var header = WebSocketFrames.WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(header));
        return frame[..(header + payload.Length)];
    }

    public void Close(WebSocketCloseStatus status, string description)
    {
        lock (_gate)
        {
            if (_closeRequested || _aborted)
            {
                return;
            }

            _closeRequested = true;
            // Frames that arrive from now on are not handled, and a reader held back by the
            // socket's own backlog must not keep it open: its queued work is dropped.
            _connection?.StopReading();
            ChannelsLog.ClosingSocket(_runtime.Logger, SocketId, status, description);
            QueueOrWriteCloseLocked(status, description);
            // The receive loop waits for the client's close frame, but not forever.
            _closeDeadline = new CancellationTokenSource(_runtime.Options.CloseTimeout);
            _closeDeadline.Token.UnsafeRegister(static input => ((PipeReader)input!).CancelPendingRead(), _input);
        }
    }

    private void QueueOrWriteCloseLocked(WebSocketCloseStatus status, string reason)
    {
        // After whatever is already waiting, so the client reads every frame sent before it.
        _closeQueued = (status, reason);
        if (!_flushing)
        {
            PumpLocked();
        }
    }

    /// <summary>Drops the connection at once: a slow consumer, or a close handshake that never finished.</summary>
    public void Abort()
    {
        lock (_gate)
        {
            AbortLocked();
        }
    }

    private void AbortLocked()
    {
        if (_aborted)
        {
            return;
        }

        _aborted = true;
        _closeRequested = true;
        _connection?.StopReading();
        _backlog = null;
        _partial = null;
        _drained?.TrySetResult();
        _abort();
        _input.CancelPendingRead();
    }

    /// <summary>Flushes; false when the flush is pending (the pipe is full) or the transport is gone.</summary>
    private bool TryFlushLocked()
    {
        // Whatever a send batch or the flush queue was holding back goes out with this flush.
        _flushQueued = false;
        _replyQueued = false;
        _unflushedFrames = 0;
        var flush = _output.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            if (flush.Result.IsCompleted)
            {
                // The transport is gone.
                AbortLocked();
                return false;
            }

            return true;
        }

        _flushing = true;
        _ = AwaitFlushAsync(flush);
        return false;
    }

    /// <summary>
    /// Writes what waits (the frame in progress, the backlog, then a queued close frame) into
    /// the pipe, flushing every <see cref="ChunkBytes"/>, until all of it is written or the pipe
    /// is full. A large frame goes in chunks, so a socket holds at most about the transport's
    /// send buffer of copies in the pipe and the rest as a reference to the frame, which a
    /// broadcast shares with every other socket: a crowd of slow readers does not make the
    /// server copy a big frame once per member into pooled memory that it then keeps.
    /// </summary>
    private void PumpLocked()
    {
        var sinceFlush = 0;
        while (!_aborted)
        {
            if (_partial is null)
            {
                if (_backlog is { Count: > 0 } backlog)
                {
                    var (frame, isWholeFrame) = backlog.Dequeue();
                    _backlogBytes -= frame.Data.Length;
                    if (isWholeFrame)
                    {
                        _output.Write(frame.Data.Span);
                    }
                    else
                    {
                        var span = _output.GetSpan(WebSocketFrames.MaxServerHeaderLength);
                        _output.Advance(WebSocketFrames.WriteHeader(span, frame.IsBinary ? WebSocketFrames.Binary : WebSocketFrames.Text, frame.Data.Length));
                        _partial = frame;
                        _partialOffset = 0;
                    }

                    sinceFlush += WebSocketFrames.MaxServerHeaderLength;
                }
                else if (_closeQueued is { } close)
                {
                    _closeQueued = null;
                    WebSocketFrames.WriteClose(_output, close.Status, close.Reason);
                    sinceFlush += WebSocketFrames.MaxControlPayload;
                }
                else
                {
                    break;
                }
            }

            if (_partial is { } partial)
            {
                var chunk = Math.Min(ChunkBytes - Math.Min(sinceFlush, ChunkBytes - 1), partial.Data.Length - _partialOffset);
                _output.Write(partial.Data.Span.Slice(_partialOffset, chunk));
                _partialOffset += chunk;
                sinceFlush += chunk;
                if (_partialOffset == partial.Data.Length)
                {
                    _partial = null;
                }
            }

            if (sinceFlush >= ChunkBytes)
            {
                sinceFlush = 0;
                if (!TryFlushLocked())
                {
                    return;
                }
            }
        }

        if (sinceFlush > 0)
        {
            TryFlushLocked();
        }
    }

    /// <summary>Waits out a full pipe, then goes on writing; allocates only when the client is behind.</summary>
    private async Task AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result;
        try
        {
            result = await flush.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ConnectionAbortedException)
        {
            result = new FlushResult(isCanceled: false, isCompleted: true);
        }

        lock (_gate)
        {
            _flushing = false;
            if (result.IsCompleted || _aborted)
            {
                AbortLocked();
                return;
            }

            PumpLocked();
            if (!_flushing)
            {
                _drained?.TrySetResult();
            }
        }
    }

    private sealed class MessageTooBigException : Exception;

    /// <summary>A message being assembled from its frames, unmasked into a pooled buffer.</summary>
    private sealed class MessageBuffer(int maxBytes) : IDisposable
    {
        private byte[]? _buffer;

        public int Length { get; private set; }

        public byte Opcode { get; private set; }

        public bool IsStarted => Opcode != 0;

        public void Append(WebSocketFrames.Header header, in ReadOnlySequence<byte> payload)
        {
            if (header.Opcode != WebSocketFrames.Continuation)
            {
                Opcode = header.Opcode;
            }

            var needed = Length + (int)payload.Length;
            if (_buffer is null || _buffer.Length < needed)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Min(maxBytes, 4096)));
                _buffer?.AsSpan(0, Length).CopyTo(larger);
                if (_buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                }

                _buffer = larger;
            }

            WebSocketFrames.CopyUnmasked(payload, _buffer.AsSpan(Length), header.MaskKey);
            Length = needed;
        }

        public ReadOnlyMemory<byte> Complete() => _buffer.AsMemory(0, Length);

        /// <summary>Forgets the message and gives the buffer back: an idle socket holds none.</summary>
        public void Reset()
        {
            Length = 0;
            Opcode = 0;
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        public void Dispose() => Reset();
    }
}
