using Chat.Messages;
using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Tests;

/// <summary>
/// The WAL checkpointer on a real SQLite file: it must outlive any failure, and say when it is
/// stuck; and the settings every connection has, whether the pool makes it or hands it out again
/// (they are applied once per SQLite connection, not on every open).
/// </summary>
public sealed class SqliteCheckpointerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-checkpointer-" + Guid.NewGuid().ToString("N"));
    private readonly ChatDatabase _database;

    public SqliteCheckpointerTests()
    {
        _database = ChatDatabase.Sqlite($"Data Source={Path.Combine(_directory, "chat.db")}");
    }

    [Fact]
    public async Task Keeps_checkpointing_after_failures_that_are_not_SQLite_errors()
    {
        var attempts = 0;
        var checkpoints = 0;
        await using var checkpointer = new SqliteCheckpointer(_database, async (connection, ct) =>
        {
            if (Interlocked.Increment(ref attempts) <= 2)
            {
                throw new InvalidOperationException("not a SqliteException");
            }

            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await command.ExecuteNonQueryAsync(ct);
            Interlocked.Increment(ref checkpoints);
        }, TimeProvider.System, NullLogger.Instance, TimeSpan.FromMinutes(1), longestPause: TimeSpan.Zero);

        checkpointer.Start();

        await WaitUntilAsync(() => Volatile.Read(ref checkpoints) >= 2);
        Assert.False(checkpointer.IsStuck);
    }

    [Fact]
    public async Task Checkpoints_again_only_once_the_writer_has_committed_enough()
    {
        var checkpoints = 0;
        await using var checkpointer = new SqliteCheckpointer(_database, (_, _) =>
        {
            Interlocked.Increment(ref checkpoints);
            return Task.CompletedTask;
        }, TimeProvider.System, NullLogger.Instance, TimeSpan.FromMinutes(1), longestPause: TimeSpan.FromHours(1));

        checkpointer.Start();
        await WaitUntilAsync(() => Volatile.Read(ref checkpoints) == 1); // the first tick's, for what an earlier run left

        // A trickle of commits: every one of them would once have been followed by a checkpoint,
        // each making the writer's next commit start the WAL over with an extra fsync.
        checkpointer.Committed(SqliteCheckpointer.WritesPerCheckpoint - 1);
        await Task.Delay(SqliteCheckpointer.Interval * 4);
        Assert.Equal(1, Volatile.Read(ref checkpoints));

        checkpointer.Committed(1);
        await WaitUntilAsync(() => Volatile.Read(ref checkpoints) == 2);
    }

    [Fact]
    public async Task Says_it_is_stuck_while_no_checkpoint_completes_and_recovers_when_one_does()
    {
        var failing = 1;
        await using var checkpointer = new SqliteCheckpointer(_database, (_, _) =>
            Volatile.Read(ref failing) == 1 ? throw new IOException("the disk is gone") : Task.CompletedTask,
            TimeProvider.System, NullLogger.Instance, TimeSpan.FromMilliseconds(600));

        Assert.False(checkpointer.IsStuck);
        checkpointer.Start();
        await WaitUntilAsync(() => checkpointer.IsStuck);

        Volatile.Write(ref failing, 0);
        await WaitUntilAsync(() => !checkpointer.IsStuck);
    }

    [Fact]
    public void Every_connection_bounds_the_WAL_file_it_resets()
    {
        using var connection = new SqliteConnection(_database.ConnectionString);
        connection.Open();
        SqlitePragmas.Apply(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_size_limit;";

        Assert.Equal(SqlitePragmas.JournalSizeLimitBytes, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_pooled_connection_opened_again_keeps_every_setting()
    {
        var options = _database.CreateOptions();
        for (var open = 0; open < 3; open++)
        {
            await using var db = new ChatDbContext(options);
            await db.Database.OpenConnectionAsync();
            var connection = (SqliteConnection)db.Database.GetDbConnection();

            Assert.Equal("wal", Read(connection, "journal_mode"));
            Assert.Equal(2L, Read(connection, "synchronous")); // FULL
            Assert.Equal(5000L, Read(connection, "busy_timeout"));
            Assert.Equal(1L, Read(connection, "foreign_keys"));
            Assert.Equal(SqlitePragmas.JournalSizeLimitBytes, Read(connection, "journal_size_limit"));
        }
    }

    [Fact]
    public async Task A_new_connection_after_the_pool_is_cleared_gets_the_settings_again()
    {
        var options = _database.CreateOptions();
        await using (var first = new ChatDbContext(options))
        {
            await first.Database.OpenConnectionAsync();
        }

        SqliteConnection.ClearAllPools();
        await using var db = new ChatDbContext(options);
        await db.Database.OpenConnectionAsync();

        Assert.Equal(1L, Read((SqliteConnection)db.Database.GetDbConnection(), "foreign_keys"));
    }

    private static object Read(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return command.ExecuteScalar()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _database.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
