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
/// <para>A message is acknowledged only after its transaction has committed. The writer only
/// commits: each committed batch goes, in commit order, to the <see cref="MessagePublisher"/>,
/// which announces it while the next batch commits. Changes share the queue so that ids and
/// revisions are given out in one order, the order they commit and are announced in (see
/// <see cref="Revisions"/>).</para>
/// <para><b>Deadlines.</b> Every write has one (<see cref="MessageWriterOptions.SendTimeout"/>):
/// a caller still waiting when it passes hears that its write could not be stored
/// (<see cref="WriteDeadlines"/>), whatever the database is doing. A transaction that takes
/// longer than <see cref="MessageWriterOptions.CommitTimeout"/> is cancelled.</para>
/// <para><b>A database that does not answer.</b> When a batch fails for a reason that is the
/// database's and not the batch's (<see cref="IMessageBatchStore.IsTransient"/>), or a commit
/// runs past its timeout, the writer counts the database as unavailable: new writes are
/// refused at once instead of queueing behind a commit that may never end, so channels and
/// sockets keep moving. It tries the batch again, with pauses that grow to
/// <see cref="MaxRetryDelay"/>, for the writes whose callers still wait; once none does, it
/// probes. The first commit or probe that succeeds makes it available again. Callers retry
/// with the same client_id, which can never store a message twice.</para>
/// <para><b>A commit whose outcome is uncertain.</b> A store that threw may still have
/// committed: the answer to <c>COMMIT</c> was lost, or the failure came after it. Before it
/// does anything else, the writer asks the store whether the batch committed
/// (<see cref="IMessageBatchStore.CommittedAsync"/>), as long as it takes: if it did, the
/// batch is announced like any other, in its place in commit order, so every stored message is
/// broadcast once and no later message overtakes it. Retrying it blindly would find the
/// stored originals of its client_ids, which are never broadcast, and leave a gap that live
/// members' last_seen_id moves past.</para>
/// <para><b>Rows the database refuses.</b> A batch the database refuses is split in halves,
/// and each half committed on its own, until the refused write stands alone and fails alone
/// (with a field error): one bad row costs about 2·log₂ of its batch in transactions, and every
/// other write is stored. Stores leave out what they can recognise inside the transaction
/// (a room deleted meanwhile) without failing the batch at all.</para>
/// </remarks>
internal sealed partial class MessageWriter : IAsyncDisposable
{
    /// <summary>What a caller hears when its write could not be stored (a channel's <c>unavailable</c>, HTTP 503).</summary>
    public const string CouldNotBeStored = "could not be stored";

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly Channel<PendingWrite> _queue;
    private readonly IMessageBatchStore _store;
    private readonly MessagePublisher _publisher;
    private readonly TimeProvider _clock;
    private readonly ILogger<MessageWriter> _logger;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _sendTimeout;
    private readonly TimeSpan _commitTimeout;
    private readonly WriteDeadlines _deadlines;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _batchesCommitted;
    private long _batchesSplit;
    private volatile AnswerDeadline? _attempt;
    private long _unavailableSince;

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
        _sendTimeout = options.Value.SendTimeout;
        _commitTimeout = options.Value.CommitTimeout;
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _deadlines = new WriteDeadlines(_sendTimeout, CouldNotBeStored, clock, CheckForStall);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far; fewer than messages whenever senders overlap.</summary>
    public long BatchesCommitted => Interlocked.Read(ref _batchesCommitted);

    /// <summary>How long a caller waits for its write (<see cref="MessageWriterOptions.SendTimeout"/>).</summary>
    public TimeSpan SendTimeout => _sendTimeout;

    /// <summary>Batches the database refused and that were split in halves to find the refused write.</summary>
    public long BatchesSplit => Interlocked.Read(ref _batchesSplit);

    /// <summary>
    /// True while the database does not answer the writer (a commit failed or has run past its
    /// timeout, and none has succeeded since): writes are refused at once, and <c>/readyz</c> says 503.
    /// </summary>
    public bool IsUnavailable => Volatile.Read(ref _unavailableSince) != 0;

    /// <summary>
    /// Queues a validated message; completes with its result once it is committed and
    /// announced, or has failed, or its deadline has passed. Refused at once while the
    /// database is unavailable.
    /// </summary>
    public Task<ChatResult<PostedMessage>> WriteAsync(PendingMessage message, CancellationToken cancellationToken) =>
        IsUnavailable
            ? Task.FromResult(Unavailable<PostedMessage>())
            : QueueAsync(message, message.Completion.Task, cancellationToken);

    /// <summary>Queues a validated change; completes with its outcome once it is committed and announced (or refused, or has failed).</summary>
    public Task<ChatResult<MessageChange>> ChangeAsync(PendingChange change, CancellationToken cancellationToken) =>
        IsUnavailable
            ? Task.FromResult(Unavailable<MessageChange>())
            : QueueAsync(change, change.Completion.Task, cancellationToken);

    /// <summary>The answer to a write refused without queueing it, because the database does not answer the writer.</summary>
    public static ChatResult<T> Unavailable<T>()
    {
        ChatDiagnostics.Unavailable.Add(1);
        return ChatResult<T>.Failed(CouldNotBeStored);
    }

    private Task<T> QueueAsync<T>(PendingWrite write, Task<T> completion, CancellationToken cancellationToken)
    {
        _deadlines.Track(write);
        return _queue.Writer.TryWrite(write) ? completion : WaitForRoomAsync(write, completion, cancellationToken);
    }

    /// <summary>The queue is full: waits for room, but no longer than the write's deadline.</summary>
    private async Task<T> WaitForRoomAsync<T>(PendingWrite write, Task<T> completion, CancellationToken cancellationToken)
    {
        while (write.IsWaiting)
        {
            var room = _queue.Writer.WaitToWriteAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(room, completion).ConfigureAwait(false) != room)
            {
                break;
            }

            if (!await room.ConfigureAwait(false))
            {
                write.Fail(CouldNotBeStored);
            }
            else if (_queue.Writer.TryWrite(write))
            {
                break;
            }
        }

        return await completion.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var write))
            {
                // A write whose caller has been answered (its deadline passed while it
                // queued) is not stored: the caller was told it could not be.
                if (write.IsWaiting)
                {
                    batch.Add(write);
                }
            }

            try
            {
                await CommitAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Never leave a caller waiting, whatever went wrong.
                LogBatchFailed(_logger, ex, batch.Count);
                foreach (var write in batch)
                {
                    write.Fail(CouldNotBeStored);
                }
            }

            batch.Clear();
            _deadlines.Trim();
        }
    }

    /// <summary>
    /// Commits the writes whose callers still wait: split in halves when the database refuses
    /// them, tried again while it does not answer.
    /// </summary>
    private async Task CommitAsync(IReadOnlyList<PendingWrite> writes)
    {
        var failures = 0;
        while (true)
        {
            var waiting = StillWaiting(writes);
            if (waiting.Count == 0)
            {
                if (IsUnavailable)
                {
                    await ProbeAsync(failures).ConfigureAwait(false);
                }

                return;
            }

            if (IsUnavailable && _stopping.IsCancellationRequested)
            {
                Fail(waiting);
                return;
            }

            var failure = await AttemptAsync(waiting).ConfigureAwait(false);
            if (failure is null)
            {
                await PublishAsync(waiting).ConfigureAwait(false);
                return;
            }

            if (!_store.IsTransient(failure))
            {
                await SplitAsync(waiting, failure).ConfigureAwait(false);
                return;
            }

            MarkUnavailable(failure);
            if (!await PauseAsync(RetryDelay(++failures)).ConfigureAwait(false))
            {
                Fail(StillWaiting(waiting));
                return;
            }

            writes = waiting;
        }
    }

    /// <summary>
    /// One transaction; null when it committed (even if the store threw after its commit),
    /// else why it did not.
    /// </summary>
    private async Task<Exception?> AttemptAsync(IReadOnlyList<PendingWrite> writes)
    {
        var now = Clock.Now(_clock);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var deadline = new AnswerDeadline(_commitTimeout, _clock);
        _attempt = deadline;
        Exception failure;
        try
        {
            await _store.WriteAsync(writes, now, deadline).ConfigureAwait(false);
            Record(writes, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return null;
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            _attempt = null;
        }

        if (!await CommittedAnywayAsync(failure).ConfigureAwait(false))
        {
            return failure;
        }

        Record(writes, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return null;
    }

    /// <summary>
    /// Whether a batch whose store threw was committed all the same. Asks until the database
    /// can tell: nothing else may commit before the answer, or the batch, if it did commit,
    /// would be announced after messages that committed after it.
    /// </summary>
    private async Task<bool> CommittedAnywayAsync(Exception failure)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_commitTimeout, _clock);
                var committed = await _store.CommittedAsync(timeout.Token).ConfigureAwait(false);
                if (committed)
                {
                    LogCommittedDespiteFailure(_logger, failure);
                }

                return committed;
            }
            catch (Exception ex)
            {
                MarkUnavailable(failure);
                LogOutcomeUnknown(_logger, ex);
                if (!await PauseAsync(RetryDelay(++failures)).ConfigureAwait(false))
                {
                    // Stopping without an answer: the callers hear it could not be stored,
                    // which is all that anyone can say now. If it did commit, clients find it
                    // when they catch up after the restart.
                    return false;
                }
            }
        }
    }

    /// <summary>Isolates what the database refused: each half on its own, down to single writes.</summary>
    private async Task SplitAsync(IReadOnlyList<PendingWrite> writes, Exception failure)
    {
        if (writes.Count == 1)
        {
            var refusal = _store.IsMissingRoom(failure) ? WriteRefusal.RoomGone : WriteRefusal.Invalid;
            if (refusal == WriteRefusal.Invalid)
            {
                LogWriteRefused(_logger, failure);
            }

            writes[0].Refuse(refusal);
            return;
        }

        Interlocked.Increment(ref _batchesSplit);
        ChatDiagnostics.SplitBatches.Add(1);
        LogBatchSplit(_logger, failure, writes.Count);
        var half = writes.Count / 2;
        await CommitAsync(Slice(writes, 0, half)).ConfigureAwait(false);
        await CommitAsync(Slice(writes, half, writes.Count - half)).ConfigureAwait(false);
    }

    /// <summary>Hands a committed batch to the publisher; answers at once the writes the store left out.</summary>
    private ValueTask PublishAsync(IReadOnlyList<PendingWrite> writes)
    {
        Interlocked.Increment(ref _batchesCommitted);
        MarkAvailable();
        var refused = 0;
        foreach (var write in writes)
        {
            if (write.Refusal != WriteRefusal.None)
            {
                write.Refuse(write.Refusal);
                refused++;
            }
            else
            {
                // False for a write whose deadline passed meanwhile: announced all the same,
                // since it is stored, but its caller, who heard it was not, hears nothing more.
                write.MarkCommitted();
            }
        }

        if (refused == writes.Count)
        {
            return ValueTask.CompletedTask;
        }

        return _publisher.EnqueueAsync(refused == 0 ? [.. writes] : [.. writes.Where(w => w.Refusal == WriteRefusal.None)]);
    }

    /// <summary>While every caller has given up and the database still does not answer: probes until it does (or the writer stops).</summary>
    private async Task ProbeAsync(int failures)
    {
        while (IsUnavailable)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_commitTimeout, _clock);
                await _store.ProbeAsync(timeout.Token).ConfigureAwait(false);
                MarkAvailable();
                return;
            }
            catch (Exception ex)
            {
                LogProbeFailed(_logger, ex);
                if (!await PauseAsync(RetryDelay(++failures)).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Run by the deadlines' timer: a database that has not answered the batch being
    /// committed for the commit timeout is unavailable from now on, before the store gives up
    /// on it (which it may not be able to do: an fsync cannot be cancelled).
    /// </summary>
    private void CheckForStall()
    {
        if (_attempt is { IsOverdue: true } && !IsUnavailable)
        {
            MarkUnavailable(new TimeoutException($"The database has not answered the writer for {_commitTimeout.TotalSeconds:0.###} s."));
        }
    }

    private void MarkUnavailable(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _unavailableSince, _clock.GetTimestamp(), 0) == 0)
        {
            LogUnavailable(_logger, reason);
        }
    }

    private void MarkAvailable()
    {
        var since = Interlocked.Exchange(ref _unavailableSince, 0);
        if (since != 0)
        {
            LogAvailable(_logger, _clock.GetElapsedTime(since).TotalSeconds);
        }
    }

    /// <summary>Waits before the next try; false when the writer is stopping instead.</summary>
    private async Task<bool> PauseAsync(TimeSpan delay)
    {
        if (_stopping.IsCancellationRequested)
        {
            return false;
        }

        if (delay == TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(delay, _clock, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The pause before the next try after <paramref name="failures"/> failures in a row: none
    /// after the first (a broken pooled connection deserves a second chance at once), then
    /// from <see cref="FirstRetryDelay"/> doubling to <see cref="MaxRetryDelay"/>, with jitter
    /// so that several nodes do not retry in step.
    /// </summary>
    private static TimeSpan RetryDelay(int failures)
    {
        if (failures <= 1)
        {
            return TimeSpan.Zero;
        }

        var doubled = FirstRetryDelay.Ticks << Math.Min(failures - 2, 16);
        return TimeSpan.FromTicks(Math.Min(doubled, MaxRetryDelay.Ticks)) * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    private static IReadOnlyList<PendingWrite> StillWaiting(IReadOnlyList<PendingWrite> writes)
    {
        foreach (var write in writes)
        {
            if (!write.IsWaiting)
            {
                return [.. writes.Where(w => w.IsWaiting)];
            }
        }

        return writes;
    }

    private static ArraySegment<PendingWrite> Slice(IReadOnlyList<PendingWrite> writes, int start, int count) =>
        new(writes as PendingWrite[] ?? [.. writes], start, count);

    private static void Fail(IReadOnlyList<PendingWrite> writes)
    {
        foreach (var write in writes)
        {
            write.Fail(CouldNotBeStored);
        }
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
    /// created before the writer, is disposed after it and announces what is left. A database
    /// that does not answer gets one send timeout more; then what is left is failed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stopping.CancelAfter(_sendTimeout);
        await _loop.ConfigureAwait(false);
        _deadlines.Dispose();
        _stopping.Dispose();
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Warning, "The database refused a batch of {Count} writes; splitting it in halves to find what it refused.")]
    private static partial void LogBatchSplit(ILogger logger, Exception exception, int count);

    [LoggerMessage(2, LogLevel.Warning, "The database refused a write; its sender gets a field error.")]
    private static partial void LogWriteRefused(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Error, "The database does not answer the message writer; writes are refused until it does.")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Critical, "The message writer failed on a batch of {Count}.")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(5, LogLevel.Information, "The database answers the message writer again, after {Seconds:0.0} s.")]
    private static partial void LogAvailable(ILogger logger, double seconds);

    [LoggerMessage(6, LogLevel.Warning, "A batch whose store failed had committed all the same; it is announced in its place.")]
    private static partial void LogCommittedDespiteFailure(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Whether the last batch committed is not known yet; asking the database again.")]
    private static partial void LogOutcomeUnknown(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "The database still does not answer.")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception);
}
