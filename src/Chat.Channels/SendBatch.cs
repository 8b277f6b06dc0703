using Chat.Channels.Internal.Transport;

namespace Chat.Channels;

/// <summary>
/// Frames sent to sockets while a batch is open, from this flow of execution, are written at
/// once but not flushed before the batch is disposed: a socket that receives several frames of
/// one batch (the replies and broadcasts of one committed group of messages) gets them in one
/// write instead of one system call each. At its end the batch's sockets go to the transport's
/// flush queue, which flushes them one thread-pool hop later. Open one with
/// <see cref="Broadcaster.BeginBatch"/>; keep it short, since nothing in it reaches the
/// network before it ends.
/// </summary>
public sealed class SendBatch : IDisposable
{
    private static readonly AsyncLocal<SendBatch?> CurrentBatch = new();

    private readonly SendBatch? _outer;
    private readonly Lock _gate = new();
    private List<WebSocketSession>? _deferred;
    private bool _ended;

    private SendBatch(SendBatch? outer) => _outer = outer;

    /// <summary>The batch open in this flow of execution, if any.</summary>
    internal static SendBatch? Current => CurrentBatch.Value;

    internal static SendBatch Begin()
    {
        var batch = new SendBatch(CurrentBatch.Value);
        CurrentBatch.Value = batch;
        return batch;
    }

    /// <summary>
    /// Takes a socket's flush for the end of the batch; false when the batch has already ended
    /// (work started inside it that outlived it), and the caller flushes now.
    /// </summary>
    internal bool TryDefer(WebSocketSession session)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return false;
            }

            (_deferred ??= []).Add(session);
            return true;
        }
    }

    /// <summary>Ends the batch: every socket it holds back is flushed.</summary>
    public void Dispose()
    {
        List<WebSocketSession>? deferred;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            deferred = _deferred;
            _deferred = null;
        }

        if (ReferenceEquals(CurrentBatch.Value, this))
        {
            CurrentBatch.Value = _outer;
        }

        if (deferred is not null)
        {
            // Flushed by the flush queue, not here: the code that opened the batch goes on with
            // its next one, and a socket that gets more frames before its turn sends them with
            // these, in the same write.
            FlushQueue.Shared.AddRange(deferred);
        }
    }
}
