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
/// client ids of their own ("seed-N"), so they never clash with a benchmark's sends, and
/// their words in the search index, as the message writer would store them.
/// </summary>
/// <remarks>
/// With <c>tagged</c>, the n-th message of each room also ends with two words for search to
/// look for: <c>k{n % 100}</c> (in one message of a hundred) and <c>w{n % 10000}</c> (one in
/// ten thousand); the shared vocabulary of <see cref="Text"/> puts every other word in about
/// a third of all messages.
/// </remarks>
internal static class Seeder
{
    /// <summary>
    /// <paramref name="roomMessages"/> messages in <paramref name="target"/> and
    /// <paramref name="otherMessages"/> spread over <paramref name="others"/>, evenly interleaved.
    /// </summary>
    public static async Task SeedAsync(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages, bool tagged = false)
    {
        if (roomMessages + otherMessages == 0)
        {
            return;
        }

        if (database.Provider == DatabaseProvider.Sqlite)
        {
            SeedSqlite(database, target, others, roomMessages, otherMessages, tagged);
        }
        else
        {
            await SeedPostgresAsync(database, target, others, roomMessages, otherMessages, tagged);
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

    /// <summary>The content of message i, the n-th of its room.</summary>
    private static string Content(string[] contents, int i, long n, bool tagged) =>
        tagged ? string.Create(CultureInfo.InvariantCulture, $"{contents[i % contents.Length]} k{n % 100} w{n % 10000}") : contents[i % contents.Length];

    private static void SeedSqlite(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages, bool tagged)
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
        using var index = connection.CreateCommand();
        index.CommandText = "INSERT INTO messages_search (rowid, document) VALUES (last_insert_rowid(), $document)";
        var document = index.Parameters.Add(new SqliteParameter { ParameterName = "$document" });
        index.Prepare();
        SqliteTransaction? transaction = null;
        var inRoom = new Dictionary<long, long>();
        foreach (var (roomId, i) in Rows(target, others, roomMessages, otherMessages))
        {
            if (i % RowsPerTransaction == 0)
            {
                transaction?.Commit();
                transaction?.Dispose();
                transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                index.Transaction = transaction;
            }

            var user = (i % 500) + 1;
            var content = Content(contents, i, inRoom[roomId] = inRoom.GetValueOrDefault(roomId) + 1, tagged);
            parameters[0].Value = content;
            parameters[1].Value = user;
            parameters[2].Value = "user" + user.ToString(CultureInfo.InvariantCulture);
            parameters[3].Value = roomId;
            parameters[4].Value = "seed-" + i.ToString(CultureInfo.InvariantCulture);
            parameters[5].Value = start.AddMilliseconds(i);
            insert.ExecuteNonQuery();
            document.Value = Chat.Search.SearchText.Document(roomId, content);
            index.ExecuteNonQuery();
        }

        transaction?.Commit();
        transaction?.Dispose();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        checkpoint.ExecuteNonQuery();
    }

    private static async Task SeedPostgresAsync(ChatDatabase database, RoomView target, RoomView[] others, long roomMessages, long otherMessages, bool tagged)
    {
        var contents = Text.Contents(4096, seed: 1);
        var start = DateTime.UtcNow.AddDays(-30);
        await using var connection = await database.PostgresDataSource!.OpenConnectionAsync();
        // The GIN index is built once after the copy, in sorted order, instead of taking two
        // million rows one by one: the same index at the end, minutes sooner.
        await using (var drop = new NpgsqlCommand("DROP INDEX ix_messages_search", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY messages (content, user_id, username, room_id, client_id, inserted_at, updated_at, search) FROM STDIN (FORMAT BINARY)"))
        {
            var inRoom = new Dictionary<long, long>();
        foreach (var (roomId, i) in Rows(target, others, roomMessages, otherMessages))
            {
                var user = (i % 500) + 1;
                var at = start.AddMilliseconds(i);
                var content = Content(contents, i, inRoom[roomId] = inRoom.GetValueOrDefault(roomId) + 1, tagged);
                await copy.StartRowAsync();
                await copy.WriteAsync(content, NpgsqlDbType.Text);
                await copy.WriteAsync((long)user, NpgsqlDbType.Bigint);
                await copy.WriteAsync("user" + user.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                await copy.WriteAsync(roomId, NpgsqlDbType.Bigint);
                await copy.WriteAsync("seed-" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(TsVector(Chat.Search.SearchText.Document(roomId, content)), NpgsqlDbType.TsVector);
            }

            await copy.CompleteAsync();
        }

        await using (var create = new NpgsqlCommand("CREATE INDEX ix_messages_search ON messages USING gin (search)", connection) { CommandTimeout = 0 })
        {
            await create.ExecuteNonQueryAsync();
        }

        // What autovacuum does on its own in a database that has been running for a while.
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) messages", connection) { CommandTimeout = 0 };
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The words as lexemes as they are, as the writer's array_to_tsvector stores them. Npgsql
    /// marks its parser obsolete because it cannot follow every rule of PostgreSQL's; quoted
    /// lexemes of letters and digits, all a document holds, are the case it gets right.
    /// </summary>
#pragma warning disable CS0618
    private static NpgsqlTsVector TsVector(string document) =>
        NpgsqlTsVector.Parse(string.Join(' ', document.Split(' ').Select(word => "'" + word + "'")));
#pragma warning restore CS0618
}
