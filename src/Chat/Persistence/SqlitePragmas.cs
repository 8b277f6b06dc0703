using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Chat.Persistence;

/// <summary>
/// The SQLite settings, applied to every connection when it opens.
/// </summary>
/// <remarks>
/// Every one of them lasts as long as the connection, and a pooled connection that EF Core
/// opens again is the same SQLite connection: the interceptor applies them once per connection
/// (<see cref="ApplyOnce"/>), not on every open. Applied on every open, the five statements were
/// parsed and run for each of a join's four reads: a twelfth of what a join allocated.
/// </remarks>
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

    // The SQLite connections these settings were applied to; an entry goes with its connection.
    private static readonly ConditionalWeakTable<sqlite3, object> Applied = [];
    private static readonly object Done = new();

    public static void Apply(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Applies the settings unless this open connection's SQLite connection (which the pool
    /// hands out again and again) already has them. Only for connections whose settings
    /// nothing else changes: not one that a migration may have opened with foreign keys off.
    /// </summary>
    public static void ApplyOnce(SqliteConnection connection)
    {
        if (connection.Handle is { } handle && Applied.TryGetValue(handle, out _))
        {
            return;
        }

        Apply(connection);
        if (connection.Handle is { } applied)
        {
            Applied.TryAdd(applied, Done);
        }
    }

    private sealed class PragmaInterceptor : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
            ApplyOnce((SqliteConnection)connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            ApplyOnce((SqliteConnection)connection);
            return Task.CompletedTask;
        }
    }
}
