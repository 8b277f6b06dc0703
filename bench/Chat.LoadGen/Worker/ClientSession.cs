using System.Diagnostics;
using System.Net;
using Chat.LoadGen.Protocols;
using Chat.LoadGen.Wire;

namespace Chat.LoadGen.Worker;

/// <summary>
/// One simulated user: a socket, the protocol's handshake, the joins of its rooms, its sends
/// and what it receives. Small on purpose (a worker holds 15,000): the connection, a few
/// numbers, and the room names it shares with the other members.
/// </summary>
internal sealed class ClientSession : IProtocolSession, IWebSocketHandler
{
    [ThreadStatic]
    private static byte[]? t_scratch;

    private readonly ChatProtocol _protocol;
    private readonly WorkerCounters _counters;
    private readonly string[] _rooms;
    private readonly int _contentBytes;
    private readonly WebSocketConnection _connection;
    private TaskCompletionSource<string?>? _joining;
    private int _joinsPending;
    private long _nextReference = ChatProtocol.FirstSendReference;
    private long _sequence;
    private bool _failed;

    /// <summary>Closed loop: called after every acknowledgement or error reply, on the receiving thread.</summary>
    public Action<ClientSession>? OnAnswered;

    public ClientSession(long userId, string token, string[] rooms, ChatProtocol protocol, WorkerCounters counters, int contentBytes)
    {
        UserId = userId;
        Token = token;
        _rooms = rooms;
        _protocol = protocol;
        _counters = counters;
        _contentBytes = contentBytes;
        _connection = new WebSocketConnection(this);
    }

    public long UserId { get; }

    public string Token { get; }

    public int RoomCount => _rooms.Length;

    public bool IsOpen => _connection.IsOpen && !_failed;

    /// <summary>Sends not yet answered (closed loop).</summary>
    public int InFlight;

    /// <summary>Connects, does the protocol's handshake and joins every room; null on success, else why not.</summary>
    public async Task<string?> OpenAsync(IPAddress local, IPEndPoint server, TimeSpan timeout)
    {
        _joining = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _joinsPending = _rooms.Length;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _connection.OpenAsync(local, server, _protocol.PathAndQuery(Token), cancel.Token);
        }
        catch (Exception error)
        {
            return error is OperationCanceledException ? "connect timed out" : error.Message;
        }

        Interlocked.Increment(ref _counters.Opened);
        _protocol.OnOpen(this);
        var finished = await Task.WhenAny(_joining.Task, Task.Delay(Timeout.InfiniteTimeSpan, cancel.Token).ContinueWith(static _ => (string?)"join timed out", TaskScheduler.Default));
        var result = await finished;
        if (result is not null)
        {
            Interlocked.Decrement(ref _counters.Opened);
            _failed = true;
            _connection.Abort();
        }

        return result;
    }

    public void Close() => _connection.Close();

    /// <summary>Sends one stamped chat message to room number <paramref name="joinIndex"/>.</summary>
    public void SendMessage(int joinIndex)
    {
        var scratch = t_scratch ??= new byte[4096];
        var content = new Utf8Writer(scratch.AsSpan(0, 1024));
        var now = Stopwatch.GetTimestamp();
        var sequence = ++_sequence;
        Stamp.WriteContent(ref content, now, sequence, _contentBytes);
        // Time first, as the web app makes its ids (see web/src/room.ts), then the user and a counter.
        var clientId = new Utf8Writer(scratch.AsSpan(1024, 128));
        clientId.Append(Environment.TickCount64);
        clientId.Append((byte)'-');
        clientId.Append(UserId);
        clientId.Append((byte)'-');
        clientId.Append(sequence);
        var frame = new Utf8Writer(scratch.AsSpan(1152));
        var reference = Interlocked.Increment(ref _nextReference);
        _protocol.WriteSend(ref frame, joinIndex, _rooms[joinIndex], reference, content.Written, clientId.Written);
        Interlocked.CompareExchange(ref _counters.FirstSendTicks, now, 0);
        Interlocked.Increment(ref InFlight);
        if (_connection.SendText(frame.Written))
        {
            Interlocked.Increment(ref _counters.Sent);
        }
        else
        {
            Interlocked.Decrement(ref InFlight);
        }
    }

    /// <summary>The protocol's client keep-alive, if it has one.</summary>
    public void SendHeartbeat()
    {
        var scratch = t_scratch ??= new byte[4096];
        var writer = new Utf8Writer(scratch);
        if (_protocol.WriteHeartbeat(ref writer, Interlocked.Increment(ref _nextReference)) && _connection.SendText(writer.Written))
        {
            Interlocked.Increment(ref _counters.HeartbeatsSent);
        }
    }

    void IProtocolSession.Send(ReadOnlySpan<byte> payload) => _connection.SendText(payload);

    void IProtocolSession.Ready()
    {
        var scratch = t_scratch ??= new byte[4096];
        for (var j = 0; j < _rooms.Length; j++)
        {
            var writer = new Utf8Writer(scratch);
            _protocol.WriteJoin(ref writer, j, _rooms[j]);
            _connection.SendText(writer.Written);
        }

        if (_rooms.Length == 0)
        {
            // Nothing to join: ready is as joined as this socket gets.
            Interlocked.Increment(ref _counters.Joined);
            _joining?.TrySetResult(null);
        }
    }

    void IProtocolSession.Joined(int joinIndex, bool ok, ReadOnlySpan<byte> record)
    {
        if (!ok)
        {
            var text = System.Text.Encoding.UTF8.GetString(record[..Math.Min(record.Length, 200)]);
            _joining?.TrySetResult($"join refused: {text}");
            return;
        }

        if (Interlocked.Decrement(ref _joinsPending) == 0)
        {
            Interlocked.Increment(ref _counters.Joined);
            _joining?.TrySetResult(null);
        }
    }

    void IProtocolSession.Delivered(ReadOnlySpan<byte> record)
    {
        if (Stamp.TryRead(record, out var sent))
        {
            var now = Stopwatch.GetTimestamp();
            _counters.DeliveryLatency.Record(Stamp.MicrosSince(sent, now));
            Interlocked.Increment(ref _counters.Delivered);
            Histogram.AtomicMax(ref _counters.LastDeliveryTicks, now);
        }
    }

    void IProtocolSession.Acked(ReadOnlySpan<byte> record)
    {
        if (Stamp.TryRead(record, out var sent))
        {
            var now = Stopwatch.GetTimestamp();
            _counters.AckLatency.Record(Stamp.MicrosSince(sent, now));
            Interlocked.Increment(ref _counters.Acked);
            Histogram.AtomicMax(ref _counters.LastAckTicks, now);
        }

        Interlocked.Decrement(ref InFlight);
        OnAnswered?.Invoke(this);
    }

    void IProtocolSession.SendFailed(ReadOnlySpan<byte> record)
    {
        Interlocked.Increment(ref _counters.SendErrors);
        _counters.Note($"send error: {System.Text.Encoding.UTF8.GetString(record[..Math.Min(record.Length, 120)])}");
        Interlocked.Decrement(ref InFlight);
        OnAnswered?.Invoke(this);
    }

    void IProtocolSession.Failed(string reason)
    {
        _counters.Note(reason);
        _joining?.TrySetResult(reason);
    }

    void IWebSocketHandler.OnMessage(WebSocketConnection connection, ReadOnlySpan<byte> payload) =>
        _protocol.OnMessage(this, payload);

    void IWebSocketHandler.OnClosed(WebSocketConnection connection, string reason)
    {
        if (_joining is { Task.IsCompleted: false })
        {
            _joining.TrySetResult(reason);
            return;
        }

        if (!_failed && reason != "closed by the client" && reason != "aborted by the client")
        {
            Interlocked.Increment(ref _counters.Lost);
            _counters.Note(reason);
        }
    }
}
