using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Chat.LoadGen.Wire;

/// <summary>What a connection tells its owner: each complete message, and its end.</summary>
internal interface IWebSocketHandler
{
    /// <summary>A complete text or binary message. The span is valid only during the call.</summary>
    void OnMessage(WebSocketConnection connection, ReadOnlySpan<byte> payload);

    /// <summary>The connection ended (either side, or an error); called once.</summary>
    void OnClosed(WebSocketConnection connection, string reason);
}

/// <summary>
/// The client end of one WebSocket (RFC 6455) on a raw <see cref="Socket"/>: an HTTP/1.1
/// upgrade, then frames. Written for a load generator that holds 15,000 of them per process
/// and reads hundreds of thousands of frames a second on one core, so it does what
/// <c>ClientWebSocket</c> cannot be made to do: one receive buffer per socket, frames parsed in
/// place and handed over as spans (no message copies, no allocation per frame), every frame in
/// a read handled before the next read, and sends as one synchronous <c>send()</c> of a frame
/// built in a reused buffer. Receives complete on the socket engine's thread when the process
/// runs with <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, which the coordinator sets.
/// </summary>
internal sealed class WebSocketConnection
{
    private const int ReceiveBufferSize = 8 * 1024;
    private const int MaxMessageBytes = 64 * 1024 * 1024;

    private readonly IWebSocketHandler _handler;
    private readonly Lock _sendLock = new();
    private Socket? _socket;
    private byte[] _buffer = new byte[ReceiveBufferSize];
    private bool _bufferRented;
    private int _start;
    private int _end;
    private byte[] _sendBuffer = new byte[256];
    private uint _maskState;
    private ArrayBufferWriter<byte>? _fragments;
    private int _closed;

    public WebSocketConnection(IWebSocketHandler handler)
    {
        _handler = handler;
        _maskState = (uint)Random.Shared.Next() | 1;
    }

    public bool IsOpen => Volatile.Read(ref _closed) == 0 && _socket is not null;

    /// <summary>
    /// Connects from <paramref name="localAddress"/> (so that each worker has its own ~28k
    /// ephemeral ports), upgrades, and starts reading. Throws when the upgrade is refused.
    /// </summary>
    public async Task OpenAsync(IPAddress localAddress, IPEndPoint server, string pathAndQuery, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            BindAddressOnly(socket);
            socket.Bind(new IPEndPoint(localAddress, 0));
            await socket.ConnectAsync(server, cancellationToken);
            var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
            var request = Encoding.ASCII.GetBytes(
                $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
            await socket.SendAsync(request, SocketFlags.None, cancellationToken);

            // The response head, then possibly the first frames in the same read.
            while (true)
            {
                if (_end == _buffer.Length)
                {
                    throw new IOException("upgrade response too long");
                }

                var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    throw new IOException("closed during the upgrade");
                }

                _end += read;
                var headEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
                if (headEnd < 0)
                {
                    continue;
                }

                var head = Encoding.ASCII.GetString(_buffer, 0, headEnd);
                if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                {
                    var statusLine = head.Split("\r\n")[0];
                    throw new IOException($"upgrade refused: {statusLine}");
                }

                _start = headEnd + 4;
                break;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _ = ReceiveLoopAsync(socket);
    }

    /// <summary>Sends one masked text frame. Safe from any thread; blocks while the kernel's buffer is full.</summary>
    public bool SendText(ReadOnlySpan<byte> payload)
    {
        var socket = _socket;
        if (socket is null || Volatile.Read(ref _closed) != 0)
        {
            return false;
        }

        lock (_sendLock)
        {
            var length = WriteFrame(0x1, payload);
            return SendAll(socket, _sendBuffer.AsSpan(0, length));
        }
    }

    /// <summary>Sends a close frame and shuts the socket down.</summary>
    public void Close()
    {
        var socket = _socket;
        if (socket is null || Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        lock (_sendLock)
        {
            Span<byte> status = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(status, 1000);
            var length = WriteFrame(0x8, status);
            SendAll(socket, _sendBuffer.AsSpan(0, length));
        }

        Finish("closed by the client", socket);
    }

    /// <summary>Drops the socket without a close frame (a client that vanished).</summary>
    public void Abort()
    {
        if (_socket is { } socket)
        {
            Finish("aborted by the client", socket);
        }
    }

    private bool SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = socket.Send(bytes, SocketFlags.None);
                bytes = bytes[sent..];
            }

            return true;
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            Finish($"send failed: {error.Message}", socket);
            return false;
        }
    }

    /// <summary>Writes a masked client frame into the send buffer; returns its length. Call under the send lock.</summary>
    private int WriteFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var headerLength = payload.Length < 126 ? 6 : payload.Length <= ushort.MaxValue ? 8 : 14;
        var total = headerLength + payload.Length;
        if (_sendBuffer.Length < total)
        {
            _sendBuffer = new byte[Math.Max(total, _sendBuffer.Length * 2)];
        }

        var frame = _sendBuffer.AsSpan();
        frame[0] = (byte)(0x80 | opcode);
        if (payload.Length < 126)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payload.Length);
        }

        // A fresh masking key per frame, as RFC 6455 asks (xorshift: cheap, and not predictable
        // to the server, which is all the key is for).
        var mask = _maskState;
        mask ^= mask << 13;
        mask ^= mask >> 17;
        mask ^= mask << 5;
        _maskState = mask;
        var maskBytes = frame.Slice(headerLength - 4, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(maskBytes, mask);
        var body = frame.Slice(headerLength, payload.Length);
        payload.CopyTo(body);
        var i = 0;
        var mask64 = (ulong)mask | ((ulong)mask << 32);
        for (; i + 8 <= body.Length; i += 8)
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(body[i..]);
            BinaryPrimitives.WriteUInt64LittleEndian(body[i..], chunk ^ mask64);
        }

        for (; i < body.Length; i++)
        {
            body[i] ^= maskBytes[i & 3];
        }

        return total;
    }

    /// <summary>
    /// Binds the source address now and leaves the port to the connect (Linux's
    /// IP_BIND_ADDRESS_NO_PORT). A bind with port 0 picks the port itself, and the kernel's
    /// search for a free one checks it against every port the address already holds: with
    /// 10,000 sockets on one address that search was ~45 % of the worker's CPU and made each
    /// connect slower than the last. Chosen at connect, a port is only checked against the
    /// connections to the same server.
    /// </summary>
    private static void BindAddressOnly(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            const int IpProtocolIp = 0, IpBindAddressNoPort = 24;
            socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
        }
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        try
        {
            // Frames that came with the upgrade response.
            if (!ParseFrames(socket))
            {
                return;
            }

            while (true)
            {
                if (_end == _buffer.Length)
                {
                    MakeRoom(0);
                }

                var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
                if (read == 0)
                {
                    Finish("closed by the server (no close frame)", socket);
                    return;
                }

                _end += read;
                if (!ParseFrames(socket))
                {
                    return;
                }
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or IOException)
        {
            Finish($"receive failed: {error.Message}", socket);
        }
    }

    /// <summary>Hands every complete frame in the buffer on; false once the connection has ended.</summary>
    private bool ParseFrames(Socket socket)
    {
        while (true)
        {
            var available = _end - _start;
            if (available < 2)
            {
                break;
            }

            var head = _buffer.AsSpan(_start, available);
            var fin = (head[0] & 0x80) != 0;
            var opcode = head[0] & 0x0F;
            var masked = (head[1] & 0x80) != 0;
            long length = head[1] & 0x7F;
            var headerLength = 2;
            if (length == 126)
            {
                if (available < 4)
                {
                    break;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
                headerLength = 4;
            }
            else if (length == 127)
            {
                if (available < 10)
                {
                    break;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
                headerLength = 10;
            }

            if (masked || length > MaxMessageBytes)
            {
                Finish(masked ? "the server sent a masked frame" : $"frame of {length} bytes", socket);
                return false;
            }

            var frameLength = headerLength + (int)length;
            if (available < frameLength)
            {
                MakeRoom(frameLength);
                break;
            }

            var payload = head.Slice(headerLength, (int)length);
            _start += frameLength;
            switch (opcode)
            {
                case 0x0: // continuation
                case 0x1: // text
                case 0x2: // binary
                    if (fin && opcode != 0 && _fragments is null)
                    {
                        _handler.OnMessage(this, payload);
                    }
                    else
                    {
                        _fragments ??= new ArrayBufferWriter<byte>();
                        _fragments.Write(payload);
                        if (fin)
                        {
                            _handler.OnMessage(this, _fragments.WrittenSpan);
                            _fragments = null;
                        }
                    }

                    break;
                case 0x8: // close: answer it and stop
                    var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 1005;
                    lock (_sendLock)
                    {
                        var frame = WriteFrame(0x8, payload[..Math.Min(2, payload.Length)]);
                        SendAll(socket, _sendBuffer.AsSpan(0, frame));
                    }

                    Finish($"closed by the server ({code})", socket);
                    return false;
                case 0x9: // ping: pong with the same payload
                    lock (_sendLock)
                    {
                        var frame = WriteFrame(0xA, payload);
                        SendAll(socket, _sendBuffer.AsSpan(0, frame));
                    }

                    break;
            }

            if (Volatile.Read(ref _closed) != 0)
            {
                return false;
            }
        }

        if (_start == _end)
        {
            _start = _end = 0;
            if (_bufferRented)
            {
                // A large frame has passed: back to the small buffer.
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = new byte[ReceiveBufferSize];
                _bufferRented = false;
            }
        }

        return true;
    }

    /// <summary>Moves the unread bytes to the front, growing the buffer when a frame needs more.</summary>
    private void MakeRoom(int frameLength)
    {
        var unread = _end - _start;
        var needed = Math.Max(frameLength, unread + 1);
        if (needed > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(needed);
            _buffer.AsSpan(_start, unread).CopyTo(bigger);
            if (_bufferRented)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
            _bufferRented = true;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
        }
        else
        {
            return;
        }

        _start = 0;
        _end = unread;
    }

    private void Finish(string reason, Socket socket)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        socket.Dispose();
        _handler.OnClosed(this, reason);
    }
}
