using System.Globalization;
using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Benchmarks;

/// <summary>
/// Fills a database with messages fast, past the chat context: prepared inserts in big
/// transactions on SQLite, binary COPY on PostgreSQL (then VACUUM ANALYZE, which autovacuum
/// does on its own in a database that has been running a while). Seeded messages have
/// client ids of their own ("seed-N"), so they never clash with a benchmark's sends.
/// </summary>
internal static class Seeder
{
    /// <summary>
    /// <paramref name="roomMessages"/> messages in <paramref name="target"/> and
    /// <paramref name="otherMessages"/> spread over <paramref name="others"/>, evenly interleaved.
    /// </summary>
    public static async Task SeedAsync(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages)
    {
        if (roomMessages + otherMessages == 0)
        {
            return;
        }

        if (database.Provider == DatabaseProvider.Sqlite)
        {
            SeedSqlite(database, target, others, roomMessages, otherMessages);
        }
        else
        {
            await SeedPostgresAsync(database, target, others, roomMessages, otherMessages);
        }
    }

    /// <summary>Row i of the seed belongs to the big room when the big room's share "ticks over" at i: an even interleave.</summary>
    private static IEnumerable<(long RoomId, int Index)> Rows(RoomView target, RoomView[] others, long roomMessages, long otherMessages)
    {
        var total = roomMessages + otherMessages;
        long other = 0;
        for (long i = 0; i < total; i++)
        {
            var inTarget = others.Length == 0 || ((i + 1) * roomMessages / total) > (i * roomMessages / total);
            yield return (inTarget ? target.Id : others[other++ % others.Length].Id, (int)i);
        }
    }

    private static void SeedSqlite(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages)
    {
        const int RowsPerTransaction = 100_000;
        var contents = Text.Contents(4096, seed: 1);
        var start = DateTime.UtcNow.AddDays(-30);
        using var connection = new SqliteConnection(database.ConnectionString);
        connection.Open();
        SqlitePragmas.Apply(connection);
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO messages (content, user_id, username, room_id, client_id, inserted_at, updated_at)
            VALUES ($content, $user_id, $username, $room_id, $client_id, $now, $now)
            """;
        var parameters = new[] { "$content", "$user_id", "$username", "$room_id", "$client_id", "$now" }
            .Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        insert.Prepare();
        SqliteTransaction? transaction = null;
        foreach (var (roomId, i) in Rows(target, others, roomMessages, otherMessages))
        {
            if (i % RowsPerTransaction == 0)
            {
                transaction?.Commit();
                transaction?.Dispose();
                transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
            }

            var user = (i % 500) + 1;
            parameters[0].Value = contents[i % contents.Length];
            parameters[1].Value = user;
            parameters[2].Value = "user" + user.ToString(CultureInfo.InvariantCulture);
            parameters[3].Value = roomId;
            parameters[4].Value = "seed-" + i.ToString(CultureInfo.InvariantCulture);
            parameters[5].Value = start.AddMilliseconds(i);
            insert.ExecuteNonQuery();
        }

        transaction?.Commit();
        transaction?.Dispose();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        checkpoint.ExecuteNonQuery();
    }

    private static async Task SeedPostgresAsync(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages)
    {
        var contents = Text.Contents(4096, seed: 1);
        var start = DateTime.UtcNow.AddDays(-30);
        await using var connection = await database.PostgresDataSource!.OpenConnectionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY messages (content, user_id, username, room_id, client_id, inserted_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (roomId, i) in Rows(target, others, roomMessages, otherMessages))
            {
                var user = (i % 500) + 1;
                var at = start.AddMilliseconds(i);
                await copy.StartRowAsync();
                await copy.WriteAsync(contents[i % contents.Length], NpgsqlDbType.Text);
                await copy.WriteAsync((long)user, NpgsqlDbType.Bigint);
                await copy.WriteAsync("user" + user.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                await copy.WriteAsync(roomId, NpgsqlDbType.Bigint);
                await copy.WriteAsync("seed-" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
            }

            await copy.CompleteAsync();
        }

        // What autovacuum does on its own in a database that has been running for a while.
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) messages", connection);
        await vacuum.ExecuteNonQueryAsync();
    }
}
