using System.Diagnostics;
using System.Globalization;
using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Benchmarks;

/// <summary>
/// History read latency on a big room: one room holds --room-messages messages, and the
/// other rooms' --other-messages are interleaved with them (so the room's rows are spread
/// over the table and only the <c>(room_id, id)</c> index finds them fast). Then, one at a
/// time, through <see cref="ChatService.ListMessagesAsync"/>: the newest page, a page before
/// an id in the middle of the room, and pages before random ids of the room.
/// </summary>
internal static class HistoryBenchmark
{
    private const int PageSize = 50;

    public static async Task RunAsync(BenchOptions options)
    {
        await using var database = await BenchDatabase.CreateAsync(options);
        var rooms = await database.CreateRoomsAsync(options.Rooms);
        var target = rooms[0];
        var others = rooms[1..];

        var seedClock = Stopwatch.StartNew();
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            SeedSqlite(database.Database, target, others, options);
        }
        else
        {
            await SeedPostgresAsync(database.Database, target, others, options);
        }

        Console.WriteLine($"  seeded {options.RoomMessages:N0} messages in room {target.Id} and {options.OtherMessages:N0} in {others.Length} other rooms, interleaved, in {seedClock.Elapsed.TotalSeconds:N1} s");

        var (firstId, lowestFullPage, middleId, lastId) = await RoomIdsAsync(database, target.Id, options.RoomMessages);
        Console.WriteLine($"  room {target.Id}: ids {firstId:N0} … {lastId:N0}, middle page before id {middleId:N0}; database size {await SizeAsync(database):N0} MiB");
        await ExplainAsync(database, target.Id, middleId);

        var random = new Random(7);
        var kinds = new (string Name, Func<HistoryRequest> Request)[]
        {
            ("newest", () => new HistoryRequest(Limit: PageSize)),
            ("before middle", () => new HistoryRequest(BeforeId: middleId, Limit: PageSize)),
            ("before random", () => new HistoryRequest(BeforeId: random.NextInt64(lowestFullPage + 1, lastId + 1), Limit: PageSize)),
        };

        var summary = new List<string>();
        foreach (var (name, request) in kinds)
        {
            var rounds = new List<Percentiles>();
            for (var round = 1; round <= options.Repeat; round++)
            {
                for (var i = 0; i < options.WarmupReads; i++)
                {
                    await ReadAsync(database.Chat, target.Id, request());
                }

                var machine = MachineSample.Start();
                var latencies = new List<long>(options.Reads);
                for (var i = 0; i < options.Reads; i++)
                {
                    var page = request();
                    var t0 = Stopwatch.GetTimestamp();
                    await ReadAsync(database.Chat, target.Id, page);
                    latencies.Add(Stopwatch.GetTimestamp() - t0);
                }

                var use = machine.Stop();
                var p = Percentiles.Of(latencies);
                rounds.Add(p);
                Console.WriteLine(
                    $"  {options.ProviderName,-8} {name,-13} round {round}: n={p.Count:N0} mean={p.Mean:N3} p50={p.P50:N3} p90={p.P90:N3} p99={p.P99:N3} p99.9={p.P999:N3} max={p.Max:N3} ms  " +
                    $"machine busy={use.MachineBusy:P0} load={use.LoadAverage} alloc={use.AllocatedBytes / (double)options.Reads / 1024:N1} KiB/read gen0={use.Gen0} gen2={use.Gen2}");
                Tsv.Append(options, "history", options.ProviderName, name, round, p.Count, p.Mean, p.P50, p.P90, p.P99, p.P999, p.Max, use.MachineBusy, use.LoadAverage);
            }

            var median = rounds.OrderBy(r => r.P99).ElementAt(rounds.Count / 2);
            var best = rounds.MinBy(r => r.P99)!;
            summary.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {options.ProviderName} | {name} | {median.P50:N3} | {median.P99:N3} | {median.P999:N3} | {median.Max:N3} | {best.P99:N3} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| provider | page | p50 ms | p99 ms | p99.9 ms | max ms | best round's p99 ms |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var line in summary)
        {
            Console.WriteLine(line);
        }
    }

    private static async Task ReadAsync(ChatService chat, long roomId, HistoryRequest request)
    {
        var page = await chat.ListMessagesAsync(roomId, request);
        if (page.Messages.Count != PageSize || !page.HasMore)
        {
            throw new InvalidOperationException($"Expected a full page with more beyond it, got {page.Messages.Count} (has_more={page.HasMore}).");
        }
    }

    /// <summary>Row i of the seed belongs to the big room when the big room's share "ticks over" at i: an even interleave.</summary>
    private static IEnumerable<(long RoomId, int Index)> Rows(RoomView target, RoomView[] others, BenchOptions options)
    {
        long total = options.RoomMessages + options.OtherMessages;
        long other = 0;
        for (long i = 0; i < total; i++)
        {
            var inTarget = others.Length == 0 || ((i + 1) * options.RoomMessages / total) > (i * options.RoomMessages / total);
            yield return (inTarget ? target.Id : others[other++ % others.Length].Id, (int)i);
        }
    }

    private static void SeedSqlite(ChatDatabase database, RoomView target, RoomView[] others, BenchOptions options)
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
        foreach (var (roomId, i) in Rows(target, others, options))
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

    private static async Task SeedPostgresAsync(ChatDatabase database, RoomView target, RoomView[] others, BenchOptions options)
    {
        var contents = Text.Contents(4096, seed: 1);
        var start = DateTime.UtcNow.AddDays(-30);
        await using var connection = await database.PostgresDataSource!.OpenConnectionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY messages (content, user_id, username, room_id, client_id, inserted_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (roomId, i) in Rows(target, others, options))
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

        // What autovacuum would have done long before a room reached a million messages.
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) messages", connection);
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>The room's first id; the lowest id with a full page and more below it; the middle id; the last id.</summary>
    private static async Task<(long First, long LowestFullPage, long Middle, long Last)> RoomIdsAsync(BenchDatabase database, long roomId, int roomMessages)
    {
        await using var db = await database.Contexts.CreateDbContextAsync();
        var ids = db.Messages.Where(m => m.RoomId == roomId).OrderBy(m => m.Id).Select(m => m.Id);
        var first = await ids.FirstAsync();
        var lowestFullPage = await ids.Skip(PageSize + 1).FirstAsync();
        var middle = await ids.Skip(roomMessages / 2).FirstAsync();
        var last = await ids.OrderByDescending(id => id).FirstAsync();
        return (first, lowestFullPage, middle, last);
    }

    private static async Task<long> SizeAsync(BenchDatabase database)
    {
        if (database.Database.Provider == DatabaseProvider.Sqlite)
        {
            var directory = Path.GetDirectoryName(database.Location)!;
            return new DirectoryInfo(directory).EnumerateFiles().Sum(f => f.Length) / (1024 * 1024);
        }

        await using var command = database.Database.PostgresDataSource!.CreateCommand("SELECT pg_database_size(current_database())");
        return (long)(await command.ExecuteScalarAsync())! / (1024 * 1024);
    }

    /// <summary>Prints EF Core's SQL for the middle page and the plan the database picks for it.</summary>
    private static async Task ExplainAsync(BenchDatabase database, long roomId, long beforeId)
    {
        await using var db = await database.Contexts.CreateDbContextAsync();
        var sql = db.Messages.AsNoTracking().Where(m => m.RoomId == roomId).Where(m => m.Id < beforeId)
            .OrderByDescending(m => m.Id).Take(PageSize + 1)
            .Select(m => new MessageView(m.Id, m.RoomId, m.UserId, m.Username, m.Content, m.InsertedAt))
            .ToQueryString();
        Console.WriteLine("  EF Core's query (before id):");
        Console.WriteLine(string.Join('\n', sql.Split('\n').Select(l => "    " + l.TrimEnd())));

        var plain = string.Create(CultureInfo.InvariantCulture,
            $"SELECT m.id, m.room_id, m.user_id, m.username, m.content, m.inserted_at FROM messages AS m WHERE m.room_id = {roomId} AND m.id < {beforeId} ORDER BY m.id DESC LIMIT {PageSize + 1}");
        var explain = database.Database.Provider == DatabaseProvider.Sqlite
            ? "EXPLAIN QUERY PLAN " + plain
            : "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + plain;
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = explain;
        await using var reader = await command.ExecuteReaderAsync();
        Console.WriteLine("  plan:");
        while (await reader.ReadAsync())
        {
            Console.WriteLine("    " + reader.GetValue(reader.FieldCount - 1));
        }
    }
}
