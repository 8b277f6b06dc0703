using Chat.Persistence;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Messages;

/// <summary>
/// Moves the search index's pending entries into the index from its own connection, so that
/// the message writer never does it inside a commit: PostgreSQL's counterpart of
/// <see cref="SqliteCheckpointer"/>.
/// </summary>
/// <remarks>
/// <para>The GIN index on <c>messages.search</c> takes new entries into a pending list
/// (<c>fastupdate</c>), which is cheap, and the insert that pushes the list past
/// <c>gin_pending_list_limit</c> (4 MB) moves the whole list into the index before it
/// returns. In the whole-chat benchmark that is an insert every half second or so, and it
/// took 100–200 ms, inside the writer's transaction, holding the commit-order lock: every
/// sender on every node waited for it. Measured alone (batches of 500 on a table of 100,000
/// messages), a batch's p99 went from 104–152 ms to 21 ms with this cleaning every
/// <see cref="Interval"/>, and the mean did not grow.</para>
/// <para>While this cleans, an insert that finds the list full does not wait for it: PostgreSQL's
/// own cleanup on insert gives up at once when another cleanup holds the list. Nothing depends
/// on this running: if it cannot (its user does not own the index, say), it logs once per
/// streak of failures, and inserts flush the list themselves, as before.</para>
/// <para>It cleans only after the writer has stored messages since its last round, so an idle
/// server does not ask the database anything.</para>
/// </remarks>
internal sealed partial class PostgresSearchIndexCleaner : IAsyncDisposable
{
    /// <summary>
    /// How often it cleans while messages are being stored: well under the time the writer
    /// takes to fill the list (about 9,000 messages of the benchmark's), so inserts find it short.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _stored;

    public PostgresSearchIndexCleaner(ChatDatabase database, TimeProvider clock, ILogger<PostgresSearchIndexCleaner> logger)
    {
        _dataSource = database.PostgresDataSource
            ?? throw new InvalidOperationException("The search index cleaner needs a PostgreSQL database.");
        _clock = clock;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The writer stored new messages: the next round cleans.</summary>
    public void MessagesStored() => Volatile.Write(ref _stored, 1);

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval, _clock);
        var streak = new FailureStreak(Interval, MaxBackoff);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Interlocked.Exchange(ref _stored, 0) == 0)
                {
                    continue;
                }

                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                    await using var clean = new NpgsqlCommand("SELECT gin_clean_pending_list('ix_messages_search'::regclass)", connection);
                    await clean.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false);
                    if (streak.Succeeded() is > 0 and var failures)
                    {
                        LogRecovered(_logger, failures);
                    }
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    if (streak.Failed())
                    {
                        LogFailing(_logger, ex);
                    }

                    await Task.Delay(streak.Pause, _clock, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(1, LogLevel.Warning, "The search index cleaner failed; inserts flush the index's pending list themselves until it works again.")]
    private static partial void LogFailing(ILogger logger, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "The search index cleaner works again after {Failures} failed attempts.")]
    private static partial void LogRecovered(ILogger logger, int failures);
}
