using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Chat.Persistence;

/// <summary>
/// The SQLite settings, applied to every connection when it opens.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>journal_mode=WAL</c>: readers never block the writer and the writer never blocks
/// readers; history reads go on while a batch commits. Persistent, set once per file.</item>
/// <item><c>synchronous=FULL</c>: a commit returns only after the WAL is on disk, so a message
/// that was acknowledged survives a power loss, not just a crash. The cost is one fsync per
/// commit, and group commit shares it among every message of the batch.</item>
/// <item><c>busy_timeout=5000</c>: a connection waits for a lock instead of failing at once.</item>
/// <item><c>foreign_keys=ON</c>: SQLite does not enforce foreign keys unless asked, per connection.</item>
/// <item><c>journal_size_limit</c>: once checkpointed, the WAL is reused from its start, but its
/// file keeps the size of its largest burst; this truncates it back to 64 MiB when it is reset,
/// so one burst does not hold disk space for good.</item>
/// </list>
/// </remarks>
internal static class SqlitePragmas
{
    public const long JournalSizeLimitBytes = 64L * 1024 * 1024;

    public const string Sql = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864;";

    public static readonly IDbConnectionInterceptor Interceptor = new PragmaInterceptor();

    public static void Apply(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    private sealed class PragmaInterceptor : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
            Apply((SqliteConnection)connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply((SqliteConnection)connection);
            return Task.CompletedTask;
        }
    }
}
