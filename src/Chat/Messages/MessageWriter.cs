using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Messages;

/// <summary>
/// Group commit: every new message, and every change to one (edits, deletes, reactions), goes
/// through one bounded queue, drained by one writer.
/// Whatever has queued up while the previous transaction committed goes into the next one,
/// so a thousand concurrent senders cost a few transactions, not a thousand fsyncs, and a
/// lone sender still commits at once.
/// </summary>
/// <remarks>
/// A message is acknowledged only after its transaction has committed. When a batch fails,
/// its messages are retried one per transaction, so one bad message fails alone and every
/// other gets stored. The writer only commits: each committed batch goes, in commit order, to
/// the <see cref="MessagePublisher"/>, which announces it while the next batch commits.
/// Changes share the queue so that ids and revisions are given out in one order, the order
/// they commit and are announced in (see <see cref="Revisions"/>).
/// </remarks>
internal sealed partial class MessageWriter : IAsyncDisposable
{
    private const string CouldNotBeStored = "could not be stored";

    private readonly Channel<PendingWrite> _queue;
    private readonly IMessageBatchStore _store;
    private readonly MessagePublisher _publisher;
    private readonly TimeProvider _clock;
    private readonly ILogger<MessageWriter> _logger;
    private readonly int _maxBatchSize;
    private readonly Task _loop;
    private long _batchesCommitted;
    private long _batchesRetried;

    public MessageWriter(
        IMessageBatchStore store,
        MessagePublisher publisher,
        IOptions<MessageWriterOptions> options,
        TimeProvider clock,
        ILogger<MessageWriter> logger)
    {
        _store = store;
        _publisher = publisher;
        _clock = clock;
        _logger = logger;
        _maxBatchSize = options.Value.MaxBatchSize;
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far; fewer than messages whenever senders overlap.</summary>
    public long BatchesCommitted => Interlocked.Read(ref _batchesCommitted);

    /// <summary>Batches that failed and were retried one message per transaction.</summary>
    public long BatchesRetried => Interlocked.Read(ref _batchesRetried);

    /// <summary>Queues a validated message; completes with its result once it is committed and announced (or has failed).</summary>
    public async Task<ChatResult<PostedMessage>> WriteAsync(PendingMessage message, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        return await message.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Queues a validated change; completes with its outcome once it is committed and announced (or refused, or has failed).</summary>
    public async Task<ChatResult<MessageChange>> ChangeAsync(PendingChange change, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(change, cancellationToken).ConfigureAwait(false);
        return await change.Completion.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var message))
            {
                batch.Add(message);
            }

            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Never leave a sender waiting, whatever went wrong.
                LogBatchFailed(_logger, ex, batch.Count);
                foreach (var write in batch)
                {
                    write.Fail(CouldNotBeStored);
                }
            }

            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingWrite> batch)
    {
        var now = Clock.Now(_clock);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await _store.WriteAsync(batch, now, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            Interlocked.Increment(ref _batchesRetried);
            ChatDiagnostics.RetriedBatches.Add(1);
            LogBatchRetried(_logger, ex, batch.Count);
            foreach (var write in batch)
            {
                await WriteBatchAsync([write]).ConfigureAwait(false);
            }

            return;
        }
        catch (Exception ex)
        {
            if (_store.IsMissingRoom(ex))
            {
                batch[0].FailRoomGone();
            }
            else
            {
                LogMessageFailed(_logger, ex);
                batch[0].Fail(CouldNotBeStored);
            }

            return;
        }

        Interlocked.Increment(ref _batchesCommitted);
        Record(batch, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        await _publisher.EnqueueAsync([.. batch]).ConfigureAwait(false);
    }

    /// <summary>The batch's metrics, and a persist span for each new message that was sent under one.</summary>
    private static void Record(IReadOnlyList<PendingWrite> batch, TimeSpan commit)
    {
        ChatDiagnostics.CommitDuration.Record(commit.TotalSeconds);
        ChatDiagnostics.BatchSize.Record(batch.Count);
        var stored = 0;
        var traced = ChatDiagnostics.Source.HasListeners();
        var end = DateTime.UtcNow;
        foreach (var write in batch)
        {
            if (write is not PendingMessage { Stored: { } posted } message)
            {
                continue;
            }

            stored += posted.Created ? 1 : 0;
            if (!traced || message.Trace == default)
            {
                continue;
            }

            // From the queue to the commit: the wait for the batch is part of what the sender waited for.
            using var span = ChatDiagnostics.Source.StartActivity(
                "chat.message.persist", System.Diagnostics.ActivityKind.Internal, message.Trace, startTime: message.QueuedAt);
            if (span is not null)
            {
                span.SetTag("chat.message.id", posted.Message.Id);
                span.SetTag("chat.room.id", message.RoomId);
                span.SetTag("chat.writer.batch.size", batch.Count);
                span.SetEndTime(end);
            }
        }

        ChatDiagnostics.Stored.Add(stored);
    }

    /// <summary>
    /// Stops taking messages, writes every queued one, then closes the store. The publisher,
    /// created before the writer, is disposed after it and announces what is left.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Warning, "A batch of {Count} messages failed; retrying them one by one.")]
    private static partial void LogBatchRetried(ILogger logger, Exception exception, int count);

    [LoggerMessage(2, LogLevel.Error, "A message could not be stored.")]
    private static partial void LogMessageFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Critical, "The message writer failed on a batch of {Count}.")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
