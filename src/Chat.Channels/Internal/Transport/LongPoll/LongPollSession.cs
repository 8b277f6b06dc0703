using System.Net.WebSockets;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Internal.Transport.LongPoll;

/// <summary>
/// One LongPoll client: the same <see cref="SocketConnection"/> as a WebSocket's, whose frames
/// wait in a bounded buffer until the client's next poll takes them. A poll that finds nothing
/// waits for the next frame, up to the poll window.
/// </summary>
internal sealed class LongPollSession : ISocketTransport
{
    private readonly ChannelsRuntime _runtime;
    private readonly Lock _gate = new();
    private readonly List<OutboundFrame> _buffer = [];
    private readonly TaskCompletionSource _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bufferedBytes;
    private TaskCompletionSource<bool>? _waiter;
    private bool _closed;
    private long _lastSeenTicks = Environment.TickCount64;

    public LongPollSession(string id, ChannelsRuntime runtime)
    {
        Id = id;
        _runtime = runtime;
    }

    /// <summary>The session's token: random, unguessable, and known only to its client.</summary>
    public string Id { get; }

    public SocketConnection Connection { get; set; } = null!;

    /// <summary>Completes when the session closes, whoever closed it; its channels then terminate.</summary>
    public Task Closed => _closedSignal.Task;

    /// <summary>Milliseconds (<see cref="Environment.TickCount64"/>) of the client's last poll or post.</summary>
    public long LastSeenTicks => Volatile.Read(ref _lastSeenTicks);

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    public void Touch() => Volatile.Write(ref _lastSeenTicks, Environment.TickCount64);

    public void Send(OutboundFrame frame)
    {
        if (frame.IsBinary)
        {
            // A poll's answer is JSON text: phoenix.js reads binary frames only from a WebSocket.
            ChannelsLog.UnencodableFrame(_runtime.Logger, "a binary frame cannot be sent over LongPoll");
            return;
        }

        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var options = _runtime.Options;
            if (_buffer.Count > 0 && (_buffer.Count >= options.MaxPendingFrames || _bufferedBytes + frame.Data.Length > options.MaxPendingBytes))
            {
                // The client stopped polling, or polls slower than it is sent to: cut it off
                // rather than hold its frames without bound.
                ChannelsLog.SlowConsumer(_runtime.Logger, Connection.Id, _buffer.Count, _bufferedBytes + frame.Data.Length);
                ChannelsMetrics.SlowConsumers.Add(1);
                ChannelsMetrics.DroppedFrames.Add(_buffer.Count + 1);
                waiter = CloseLocked();
            }
            else
            {
                _buffer.Add(frame);
                _bufferedBytes += frame.Data.Length;
                waiter = _waiter;
                _waiter = null;
            }
        }

        waiter?.TrySetResult(true);
    }

    public void Close(WebSocketCloseStatus status, string description)
    {
        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            ChannelsLog.ClosingSocket(_runtime.Logger, Connection.Id, status, description);
            waiter = CloseLocked();
        }

        waiter?.TrySetResult(false);
    }

    /// <summary>
    /// The frames waiting for the client, waiting up to <paramref name="window"/> for one when
    /// none is; null when the session closed, which the client learns as 410 and reconnects.
    /// A newer poll ends an older one that is still waiting, with nothing.
    /// </summary>
    public async Task<List<OutboundFrame>?> PollAsync(TimeSpan window, CancellationToken aborted)
    {
        Touch();
        TaskCompletionSource<bool> waiter;
        TaskCompletionSource<bool>? replaced;
        lock (_gate)
        {
            if (_closed)
            {
                return null;
            }

            if (_buffer.Count > 0)
            {
                return TakeLocked();
            }

            replaced = _waiter;
            waiter = _waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        replaced?.TrySetResult(true);
        try
        {
            await waiter.Task.WaitAsync(window, aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }

        Touch();
        lock (_gate)
        {
            if (ReferenceEquals(_waiter, waiter))
            {
                _waiter = null;
            }

            return _closed ? null : TakeLocked();
        }
    }

    private List<OutboundFrame> TakeLocked()
    {
        var frames = new List<OutboundFrame>(_buffer);
        _buffer.Clear();
        _bufferedBytes = 0;
        return frames;
    }

    private TaskCompletionSource<bool>? CloseLocked()
    {
        _closed = true;
        _buffer.Clear();
        _bufferedBytes = 0;
        var waiter = _waiter;
        _waiter = null;
        _closedSignal.TrySetResult();
        return waiter;
    }
}
