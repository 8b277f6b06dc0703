using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Chat.Messages;

/// <summary>
/// Announces committed batches, one at a time and in commit order, so that the writer never
/// waits for a fan-out: it hands a batch over and goes straight back to the next commit.
/// </summary>
/// <remarks>
/// The queue between the two is bounded: when announcing falls behind committing (a slow
/// pubsub, say), the writer waits for room instead of piling up batches in memory, and the
/// writer's own queue then holds senders back.
/// </remarks>
internal sealed partial class MessagePublisher : IAsyncDisposable
{
    private const int MaxBatchesAhead = 16;

    private readonly Channel<CommittedBatch> _queue = Channel.CreateBounded<CommittedBatch>(new BoundedChannelOptions(MaxBatchesAhead)
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

    /// <summary>Queues a committed batch; waits only when announcing is that far behind.</summary>
    public ValueTask EnqueueAsync(CommittedBatch batch) => _queue.Writer.WriteAsync(batch);

    private async Task RunAsync()
    {
        await foreach (var batch in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var stored = new StoredMessage[batch.Messages.Length];
            for (var i = 0; i < stored.Length; i++)
            {
                var message = batch.Messages[i];
                stored[i] = new StoredMessage(batch.Results[i].Message, message.Room, batch.Results[i].Created, message.Origin) { Trace = message.Trace };
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

            for (var i = 0; i < stored.Length; i++)
            {
                batch.Messages[i].Completion.TrySetResult(ChatResult<PostedMessage>.Ok(batch.Results[i]));
            }
        }
    }

    /// <summary>Announces every batch already handed over, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Error, "Announcing a batch of {Count} messages from id {FirstId} failed.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, int count, long firstId);
}
