using System.Buffers;
using System.Net.WebSockets;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// Drives one accepted WebSocket: a receive loop that holds no buffer while the client is
/// quiet, and a bounded send queue drained by one writer at a time.
/// </summary>
internal sealed class WebSocketSession : ISocketTransport
{
    private const int InitialReceiveBufferSize = 4096;

    private readonly WebSocket _socket;
    private readonly ChannelsRuntime _runtime;
    private readonly Mailbox<SendItem> _sendQueue;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closeFrameSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SocketConnection? _connection;
    private int _closeRequested;
    private long _lastReceivedTicks = Environment.TickCount64;
    private long _pendingBytes;

    public WebSocketSession(WebSocket socket, ChannelsRuntime runtime)
    {
        _socket = socket;
        _runtime = runtime;
        _sendQueue = new Mailbox<SendItem>(SendAsync, _ =>
        {
            _socket.Abort();
            _closeFrameSent.TrySetResult();
        });
    }

    /// <summary>Milliseconds (<see cref="Environment.TickCount64"/>) of the last frame from the client.</summary>
    public long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);

    public string? SocketId => _connection?.Id;

    /// <summary>Runs the connection until the socket closes; returns when it is fully torn down.</summary>
    public async Task RunAsync(SocketConnection connection, SocketRegistry registry)
    {
        _connection = connection;
        try
        {
            await connection.StartAsync(_closing.Token).ConfigureAwait(false);
            await ReceiveLoopAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client vanished or the close handshake timed out: either way we are done.
        }
        finally
        {
            await connection.TerminateAsync(registry.IsShuttingDown ? TerminateReason.Shutdown : TerminateReason.Closed).ConfigureAwait(false);
            await FinishCloseHandshakeAsync().ConfigureAwait(false);
            ChannelsLog.SocketClosed(_runtime.Logger, connection.Id);
        }
    }

    /// <summary>
    /// Lets the close handshake finish before the connection is dropped: a client that reads a
    /// reset instead of a close frame never learns the close code, and the code decides
    /// whether phoenix.js reconnects.
    /// </summary>
    private async Task FinishCloseHandshakeAsync()
    {
        try
        {
            if (Volatile.Read(ref _closeRequested) != 0)
            {
                // Our close frame waits in the send queue behind the frames before it.
                await _closeFrameSent.Task.WaitAsync(_runtime.Options.CloseTimeout).ConfigureAwait(false);
            }

            if (_socket.State == WebSocketState.CloseSent)
            {
                // We (or the WebSocket itself, on invalid UTF-8) closed first: wait for the answer.
                using var timeout = new CancellationTokenSource(_runtime.Options.CloseTimeout);
                await DrainUntilClosedAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
        }
        finally
        {
            if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
            {
                _socket.Abort();
            }
        }
    }

    private async Task ReceiveLoopAsync(SocketConnection connection)
    {
        var maxFrameBytes = _runtime.Options.MaxFrameBytes;
        while (true)
        {
            // A zero-byte read waits for the next frame without holding a buffer, so an idle
            // socket keeps no receive memory.
            var first = await _socket.ReceiveAsync(Memory<byte>.Empty, _closing.Token).ConfigureAwait(false);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                OnClientClosed();
                return;
            }

            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
            var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferSize);
            try
            {
                var length = 0;
                var result = first;
                while (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        buffer = Grow(buffer, maxFrameBytes);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), _closing.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        OnClientClosed();
                        return;
                    }

                    length += result.Count;
                    if (length > maxFrameBytes)
                    {
                        Close(WebSocketCloseStatus.MessageTooBig, $"frames are limited to {maxFrameBytes} bytes");
                        await DrainUntilClosedAsync(_closing.Token).ConfigureAwait(false);
                        return;
                    }
                }

                if (Volatile.Read(ref _closeRequested) != 0)
                {
                    // Closing: frames that arrive before the client's close frame are not handled.
                    continue;
                }

                InboundMessage message;
                try
                {
                    message = connection.Serializer.Decode(buffer.AsSpan(0, length), first.MessageType == WebSocketMessageType.Binary);
                }
                catch (FrameDecodeException ex)
                {
                    Close(ex.CloseStatus, ex.Message);
                    continue;
                }

                await connection.HandleAsync(message).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static byte[] Grow(byte[] buffer, int maxFrameBytes)
    {
        // One byte past the limit is enough to know a frame is too big.
        var size = Math.Min(buffer.Length * 2, maxFrameBytes + 1);
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan().CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>After asking the client to close, read and discard until its close frame arrives.</summary>
    private async Task DrainUntilClosedAsync(CancellationToken cancellationToken)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferSize);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void OnClientClosed()
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            // The client started the close handshake: answer it with its own code.
            _sendQueue.Post(SendItem.Closing(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ""));
        }

        _closing.CancelAfter(_runtime.Options.CloseTimeout);
    }

    public void Send(OutboundFrame frame)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            return;
        }

        var size = frame.Data.Length;
        var pendingBytes = Interlocked.Add(ref _pendingBytes, size);
        var overBytes = pendingBytes > _runtime.Options.MaxPendingBytes && pendingBytes != size;
        if (overBytes || !_sendQueue.TryPost(SendItem.Frame(frame), _runtime.Options.MaxPendingFrames))
        {
            ChannelsLog.SlowConsumer(_runtime.Logger, SocketId, _sendQueue.Count, pendingBytes);
            // The client is not reading, so a close frame would only wait behind the others.
            Interlocked.Exchange(ref _closeRequested, 1);
            _closeFrameSent.TrySetResult();
            _socket.Abort();
            _closing.Cancel();
        }
    }

    public void Close(WebSocketCloseStatus status, string description)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        ChannelsLog.ClosingSocket(_runtime.Logger, SocketId, status, description);
        _sendQueue.Post(SendItem.Closing(status, description));
        // The receive loop waits for the client's close frame, but not forever.
        _closing.CancelAfter(_runtime.Options.CloseTimeout);
    }

    private async ValueTask SendAsync(SendItem item)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            if (item.CloseStatus is not null)
            {
                _closeFrameSent.TrySetResult();
            }

            return;
        }

        if (item.CloseStatus is { } status)
        {
            // Close reasons are limited to 123 bytes by the protocol.
            var reason = item.CloseDescription!.Length > 120 ? item.CloseDescription[..120] : item.CloseDescription;
            try
            {
                await _socket.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _closeFrameSent.TrySetResult();
            }

            return;
        }

        var messageType = item.Data.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        try
        {
            await _socket.SendAsync(item.Data.Data, messageType, endOfMessage: true, _closing.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Add(ref _pendingBytes, -item.Data.Data.Length);
        }
    }

    private readonly record struct SendItem(OutboundFrame Data, WebSocketCloseStatus? CloseStatus, string? CloseDescription)
    {
        public static SendItem Frame(OutboundFrame frame) => new(frame, null, null);

        public static SendItem Closing(WebSocketCloseStatus status, string description) => new(default, status, description);
    }
}
