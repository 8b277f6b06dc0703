using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Chat.Messages;

/// <summary>
/// Announces committed batches, one at a time and in commit order, so that the writer never
/// waits for a fan-out: it hands a batch over and goes straight back to the next commit.
/// Writes are announced in the order they were queued: each run of new messages as one
/// <see cref="IChatEvents.MessagesStoredAsync"/> (a run spans every batch that was waiting),
/// each change on its own.
/// </summary>
/// <remarks>
/// The queue between the two is bounded: when announcing falls behind committing (a slow
/// pubsub, say), the writer waits for room instead of piling up batches in memory, and the
/// writer's own queue then holds senders back.
/// </remarks>
internal sealed partial class MessagePublisher : IAsyncDisposable
{
    private const int MaxBatchesAhead = 16;

    private readonly Channel<PendingWrite[]> _queue = Channel.CreateBounded<PendingWrite[]>(new BoundedChannelOptions(MaxBatchesAhead)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly IChatEvents[] _events;
    private readonly ILogger<MessagePublisher> _logger;
    private readonly Task _loop;

    public MessagePublisher(IEnumerable<IChatEvents> events, ILogger<MessagePublisher> logger)
    {
        _events = [.. events];
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a committed batch, each write carrying its outcome; waits only when announcing is that far behind.</summary>
    public ValueTask EnqueueAsync(PendingWrite[] batch) => _queue.Writer.WriteAsync(batch);

    private async Task RunAsync()
    {
        var run = new List<PendingMessage>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Every batch committed while the previous announcement ran goes out in this one:
            // when announcing falls behind, its runs grow, and each member's socket gets the
            // messages of several commits in one write instead of one write per commit.
            for (var taken = 0; taken < MaxBatchesAhead && reader.TryRead(out var batch); taken++)
            {
                foreach (var write in batch)
                {
                    if (write is PendingMessage message)
                    {
                        run.Add(message);
                        continue;
                    }

                    await AnnounceAsync(run).ConfigureAwait(false);
                    await AnnounceAsync((PendingChange)write).ConfigureAwait(false);
                }
            }

            await AnnounceAsync(run).ConfigureAwait(false);
        }
    }

    private async Task AnnounceAsync(List<PendingMessage> run)
    {
        if (run.Count == 0)
        {
            return;
        }

        var stored = new StoredMessage[run.Count];
        for (var i = 0; i < stored.Length; i++)
        {
            var posted = run[i].Stored!;
            // No origin for a send whose caller already heard that it could not be stored
            // (its deadline passed before the commit was known): members still get it.
            var origin = run[i].IsCallerWaiting ? run[i].Origin : null;
            stored[i] = new StoredMessage(posted.Message, run[i].Room, posted.Created, origin, posted.Created ? run[i].Mentions : [], posted.PreviousId) { Trace = run[i].Trace };
        }

        foreach (var handler in _events)
        {
            try
            {
                await handler.MessagesStoredAsync(stored).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The messages are stored; a failed announcement must not fail the sends.
                LogPublishFailed(_logger, ex, stored.Length, stored[0].Message.Id);
            }
        }

        foreach (var message in run)
        {
            message.Answer();
        }

        run.Clear();
    }

    private async Task AnnounceAsync(PendingChange change)
    {
        var outcome = change.Outcome!;
        if (outcome.IsOk && outcome.Value!.Changed)
        {
            var announced = change.IsCallerWaiting ? outcome.Value : outcome.Value with { Origin = null };
            foreach (var handler in _events)
            {
                try
                {
                    await handler.MessageChangedAsync(announced).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogChangeFailed(_logger, ex, outcome.Value.Message.Id);
                }
            }
        }

        change.Answer();
    }

    /// <summary>Announces every batch already handed over, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Error, "Announcing a batch of {Count} messages from id {FirstId} failed.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, int count, long firstId);

    [LoggerMessage(2, LogLevel.Error, "Announcing a change to message {Id} failed.")]
    private static partial void LogChangeFailed(ILogger logger, Exception exception, long id);
}
