using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Chat.Messages;

/// <summary>
/// Copies the WAL back into the database file from its own connection, so that the message
/// writer never does it inside a commit.
/// </summary>
/// <remarks>
/// <para>By default SQLite checkpoints on the connection whose commit pushes the WAL past 1000
/// pages. For the writer that is most batches: a batch of 500 messages adds about a
/// thousand pages, so nearly every commit also wrote those pages into the database file and
/// fsynced it, with every sender of the next batch waiting. The writer's connection turns
/// automatic checkpoints off, and this runs a <c>PASSIVE</c> checkpoint every
/// <see cref="Interval"/> instead: it never blocks the writer or a reader, and copies
/// whatever they are not using at the moment.</para>
///
/// <para>It checkpoints only when there is enough to copy: once the writer has committed
/// <see cref="WritesPerCheckpoint"/> writes since the last checkpoint (it says so through
/// <see cref="Committed"/>), or <see cref="DefaultLongestPause"/> after it, whichever comes first. A
/// checkpoint is not free for the writer even from another connection: it fsyncs the WAL and
/// the database file on the same disk as the writer's commits (in development traces a commit's
/// fsync that overlapped one took up to tens of milliseconds more), and once it has copied the whole WAL, the
/// writer's next commit starts the WAL over and fsyncs its new header as well as its frames.
/// At a few commits a second (one message each, a broadcast to a big room each), checkpointing
/// four times a second made about one commit in six pay those two fsyncs, which is the slow
/// tail of every member's latency. Busy writers still get a checkpoint every tick.</para>
///
/// <para>With automatic checkpoints off, nothing else ever empties the WAL, so this loop must
/// not die: whatever a checkpoint throws, it logs, drops its connection, waits a little and
/// tries again with a new one. If it still cannot checkpoint for <see cref="StuckAfter"/>, it
/// says so through <see cref="IsStuck"/>, which <c>/readyz</c> reads.</para>
/// </remarks>
internal sealed partial class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>How often it looks whether a checkpoint is due: the shortest pause between two.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest pause between checkpoints while the writer commits little.</summary>
    public static readonly TimeSpan DefaultLongestPause = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Committed writes that make a checkpoint due at the next tick: roughly SQLite's own
    /// automatic threshold (1,000 pages), at the two to three WAL pages a message costs in a batch.
    /// </summary>
    public const int WritesPerCheckpoint = 400;

    /// <summary>A checkpointer without a completed checkpoint for this long is stuck.</summary>
    public static readonly TimeSpan DefaultStuckAfter = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly ChatDatabase _database;
    private readonly Func<SqliteConnection, CancellationToken, Task> _checkpoint;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly TimeSpan _stuckAfter;
    private readonly TimeSpan _longestPause;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startGate = new();
    private Task? _loop;
    private long _lastSuccessTimestamp;
    private long _writesSinceCheckpoint;

    public SqliteCheckpointer(ChatDatabase database, TimeProvider clock, ILogger<SqliteCheckpointer> logger)
        : this(database, PassiveCheckpointAsync, clock, logger, DefaultStuckAfter)
    {
    }

    /// <summary>With another checkpoint step: how tests make it fail.</summary>
    internal SqliteCheckpointer(
        ChatDatabase database,
        Func<SqliteConnection, CancellationToken, Task> checkpoint,
        TimeProvider clock,
        ILogger logger,
        TimeSpan stuckAfter,
        TimeSpan? longestPause = null)
    {
        _database = database;
        _checkpoint = checkpoint;
        _clock = clock;
        _logger = logger;
        _stuckAfter = stuckAfter;
        _longestPause = longestPause ?? DefaultLongestPause;
    }

    /// <summary>
    /// True when the checkpointer runs and no checkpoint has completed for a while: the WAL
    /// is growing without bound.
    /// </summary>
    public bool IsStuck => Volatile.Read(ref _loop) is not null
        && _clock.GetElapsedTime(Interlocked.Read(ref _lastSuccessTimestamp)) > _stuckAfter;

    /// <summary>Counts writes the writer has just committed into the WAL: enough of them make a checkpoint due.</summary>
    public void Committed(int writes) => Interlocked.Add(ref _writesSinceCheckpoint, writes);

    /// <summary>Starts checkpointing, once; the writer calls it when it turns automatic checkpoints off.</summary>
    public void Start()
    {
        lock (_startGate)
        {
            if (_loop is null && !_stop.IsCancellationRequested)
            {
                // Counting from the start, so a checkpointer that never succeeds is stuck too.
                Interlocked.Exchange(ref _lastSuccessTimestamp, _clock.GetTimestamp());
                Volatile.Write(ref _loop, Task.Run(RunAsync));
            }
        }
    }

    private static async Task PassiveCheckpointAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval, _clock);
        SqliteConnection? connection = null;
        var streak = new FailureStreak(Interval, MaxBackoff);
        // The first tick checkpoints whatever an earlier run left, and after a failure every
        // try is owed until one succeeds, whatever the writer has committed.
        var owed = true;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var writes = Interlocked.Read(ref _writesSinceCheckpoint);
                if (!owed && writes < WritesPerCheckpoint
                    && _clock.GetElapsedTime(Interlocked.Read(ref _lastSuccessTimestamp)) < _longestPause)
                {
                    continue;
                }

                try
                {
                    connection ??= await OpenAsync().ConfigureAwait(false);
                    await _checkpoint(connection, _stop.Token).ConfigureAwait(false);
                    // Only what was counted before it began: writes committed meanwhile may not be copied yet.
                    Interlocked.Add(ref _writesSinceCheckpoint, -writes);
                    Interlocked.Exchange(ref _lastSuccessTimestamp, _clock.GetTimestamp());
                    owed = false;
                    if (streak.Succeeded() is > 0 and var failures)
                    {
                        LogRecovered(_logger, failures);
                    }
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    // Busy, locked, or worse: start again on a fresh connection after a pause
                    // that grows with the streak, and say so once per streak, not every tick.
                    owed = true;
                    if (streak.Failed())
                    {
                        LogFailing(_logger, ex);
                    }

                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }

                    await Task.Delay(streak.Pause, _clock, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(_database.ConnectionString);
        try
        {
            await connection.OpenAsync(_stop.Token).ConfigureAwait(false);
            SqlitePragmas.Apply(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_startGate)
        {
            _stop.Cancel();
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The SQLite checkpointer failed; it will retry on a new connection.")]
    private static partial void LogFailing(ILogger logger, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "The SQLite checkpointer works again after {Failures} failed attempts.")]
    private static partial void LogRecovered(ILogger logger, int failures);
}
