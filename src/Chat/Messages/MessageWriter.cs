using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Messages;

/// <summary>
/// Group commit: every new message goes through one bounded queue, drained by one writer.
/// Whatever has queued up while the previous transaction committed goes into the next one,
/// so a thousand concurrent senders cost a few transactions, not a thousand fsyncs, and a
/// lone sender still commits at once.
/// </summary>
/// <remarks>
/// A message is acknowledged only after its transaction has committed. When a batch fails,
/// its messages are retried one per transaction, so one bad message fails alone and every
/// other gets stored. The writer only commits: each committed batch goes, in commit order, to
/// the <see cref="MessagePublisher"/>, which announces it while the next batch commits.
/// </remarks>
internal sealed partial class MessageWriter : IAsyncDisposable
{
    private readonly Channel<PendingMessage> _queue;
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
        _queue = Channel.CreateBounded<PendingMessage>(new BoundedChannelOptions(options.Value.QueueCapacity)
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

    private async Task RunAsync()
    {
        var batch = new List<PendingMessage>(_maxBatchSize);
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
                foreach (var message in batch)
                {
                    Complete(message, ChatResult<PostedMessage>.Failed("could not be stored"));
                }
            }

            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingMessage> batch)
    {
        var now = Clock.Now(_clock);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        PostedMessage[] results;
        try
        {
            results = await _store.WriteAsync(batch, now, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            Interlocked.Increment(ref _batchesRetried);
            ChatDiagnostics.RetriedBatches.Add(1);
            LogBatchRetried(_logger, ex, batch.Count);
            foreach (var message in batch)
            {
                await WriteBatchAsync([message]).ConfigureAwait(false);
            }

            return;
        }
        catch (Exception ex)
        {
            var outcome = _store.IsMissingRoom(ex)
                ? ChatResult<PostedMessage>.Invalid(Validation.FieldErrors.Of("room", Validation.ErrorMessages.DoesNotExist))
                : ChatResult<PostedMessage>.Failed("could not be stored");
            if (!_store.IsMissingRoom(ex))
            {
                LogMessageFailed(_logger, ex);
            }

            Complete(batch[0], outcome);
            return;
        }

        Interlocked.Increment(ref _batchesCommitted);
        Record(batch, results, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        await _publisher.EnqueueAsync(new CommittedBatch([.. batch], results)).ConfigureAwait(false);
    }

    /// <summary>The batch's metrics, and a persist span for each message that was sent under one.</summary>
    private static void Record(IReadOnlyList<PendingMessage> batch, PostedMessage[] results, TimeSpan commit)
    {
        ChatDiagnostics.CommitDuration.Record(commit.TotalSeconds);
        ChatDiagnostics.BatchSize.Record(batch.Count);
        ChatDiagnostics.Stored.Add(results.Count(r => r.Created));
        if (!ChatDiagnostics.Source.HasListeners())
        {
            return;
        }

        var end = DateTime.UtcNow;
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            if (message.Trace == default)
            {
                continue;
            }

            // From the queue to the commit: the wait for the batch is part of what the sender waited for.
            using var span = ChatDiagnostics.Source.StartActivity(
                "chat.message.persist", System.Diagnostics.ActivityKind.Internal, message.Trace, startTime: message.QueuedAt);
            if (span is not null)
            {
                span.SetTag("chat.message.id", results[i].Message.Id);
                span.SetTag("chat.room.id", message.RoomId);
                span.SetTag("chat.writer.batch.size", batch.Count);
                span.SetEndTime(end);
            }
        }
    }

    private static void Complete(PendingMessage message, ChatResult<PostedMessage> result) =>
        message.Completion.TrySetResult(result);

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
