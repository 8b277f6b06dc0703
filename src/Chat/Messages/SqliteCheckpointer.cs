using Chat.Persistence;
using Microsoft.Data.Sqlite;

namespace Chat.Messages;

/// <summary>
/// Copies the WAL back into the database file from its own connection, so that the message
/// writer never does it inside a commit.
/// </summary>
/// <remarks>
/// By default SQLite checkpoints on the connection whose commit pushes the WAL past 1000
/// pages. For the writer that is most batches: a batch of 500 messages adds about a
/// thousand pages, so nearly every commit also wrote those pages into the database file and
/// fsynced it, with every sender of the next batch waiting. The writer's connection turns
/// automatic checkpoints off, and this runs a <c>PASSIVE</c> checkpoint every
/// <see cref="Interval"/> instead: it never blocks the writer or a reader, and copies
/// whatever they are not using at the moment.
/// </remarks>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(ChatDatabase database) => _loop = Task.Run(() => RunAsync(database.ConnectionString));

    private async Task RunAsync(string connectionString)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(_stop.Token).ConfigureAwait(false);
            SqlitePragmas.Apply(connection);
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await checkpoint.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Busy or locked: the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
