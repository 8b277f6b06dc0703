using System.IO.Pipelines;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The connection's transport as the HTTP layer sees it: passes everything through until
/// <see cref="Detach"/>, then lets nothing through, so that the HTTP layer's end (completing,
/// cancelling, a last flush) cannot touch a connection that now belongs to the socket.
/// </summary>
internal sealed class DetachablePipe(IDuplexPipe inner) : IDuplexPipe
{
    private readonly Reader _reader = new(inner.Input);
    private readonly Writer _writer = new(inner.Output);

    public PipeReader Input => _reader;

    public PipeWriter Output => _writer;

    public void Detach()
    {
        _reader.Detached = true;
        _writer.Detached = true;
    }

    private sealed class Reader(PipeReader inner) : PipeReader
    {
        public volatile bool Detached;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            Detached ? ValueTask.FromResult(new ReadResult(default, isCanceled: false, isCompleted: true)) : inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result)
        {
            if (Detached)
            {
                result = new ReadResult(default, isCanceled: false, isCompleted: true);
                return true;
            }

            return inner.TryRead(out result);
        }

        public override void AdvanceTo(SequencePosition consumed)
        {
            if (!Detached)
            {
                inner.AdvanceTo(consumed);
            }
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (!Detached)
            {
                inner.AdvanceTo(consumed, examined);
            }
        }

        public override void CancelPendingRead()
        {
            if (!Detached)
            {
                inner.CancelPendingRead();
            }
        }

        public override void Complete(Exception? exception = null)
        {
            if (!Detached)
            {
                inner.Complete(exception);
            }
        }
    }

    private sealed class Writer(PipeWriter inner) : PipeWriter
    {
        public volatile bool Detached;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            if (!Detached)
            {
                inner.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) =>
            Detached ? new byte[Math.Max(sizeHint, 256)] : inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) =>
            Detached ? new byte[Math.Max(sizeHint, 256)] : inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            Detached ? ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: true)) : inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush()
        {
            if (!Detached)
            {
                inner.CancelPendingFlush();
            }
        }

        public override void Complete(Exception? exception = null)
        {
            if (!Detached)
            {
                inner.Complete(exception);
            }
        }
    }
}
