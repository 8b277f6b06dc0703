using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Chat.Tests;

/// <summary>
/// Every connection EF Core opens has the SQLite settings, whether the pool makes it or hands
/// it out again (they are applied once per SQLite connection, not on every open).
/// </summary>
public sealed class SqlitePragmasTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-pragmas-" + Guid.NewGuid().ToString("N"));
    private readonly ChatDatabase _database;

    public SqlitePragmasTests()
    {
        _database = ChatDatabase.Sqlite($"Data Source={Path.Combine(_directory, "chat.db")}");
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

    public void Dispose()
    {
        _database.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
