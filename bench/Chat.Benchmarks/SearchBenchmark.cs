using System.Diagnostics;
using System.Globalization;
using Chat.Persistence;
using Chat.ReadMarkers;
using Chat.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Benchmarks;

/// <summary>
/// Search and unread counts on a big room: one room holds --room-messages messages among
/// --room-messages + --other-messages, interleaved, as for history reads, each message
/// tagged with a word in one message of a hundred and one in ten thousand (see
/// <see cref="Seeder"/>). Then, one at a time, through the context's own services:
/// <see cref="SearchService.SearchAsync"/> for words from very common to absent, in the room
/// and everywhere, and <see cref="ReadMarkerService.ListUnreadAsync"/> for users whose read
/// marker lies 100, 10,000, 100,000 messages and the whole room behind the newest.
/// </summary>
internal static class SearchBenchmark
{
    private const long Reader = 900_001;

    public static async Task RunAsync(BenchOptions options)
    {
        await using var database = await BenchDatabase.CreateAsync(options);
        var rooms = await database.CreateRoomsAsync(options.Rooms);
        var target = rooms[0];

        var clock = Stopwatch.StartNew();
        await Seeder.SeedAsync(database.Database, target, rooms[1..], options.RoomMessages, options.OtherMessages, tagged: true);
        Console.WriteLine($"  seeded {options.RoomMessages:N0} messages in room {target.Id} and {options.OtherMessages:N0} in {rooms.Length - 1} other rooms, tagged and indexed, in {clock.Elapsed.TotalSeconds:N1} s");

        var ids = await RoomIdsAsync(database, target.Id);
        var middle = ids[ids.Count / 2];
        var search = database.Services.GetRequiredService<SearchService>();
        var markers = database.Services.GetRequiredService<ReadMarkerService>();
        var depths = new[] { 100, 10_000, 100_000, ids.Count - 1 }.Where(d => d < ids.Count).Distinct().ToArray();
        await PrepareUnreadAsync(database, markers, target, ids, depths);

        var kinds = new List<(string Name, Func<Task<int>> Run)>
        {
            ("search: common word (a third of all), everywhere", () => FindAsync(search, new SearchRequest("deploy"))),
            ("search: common word, in the room", () => FindAsync(search, new SearchRequest("deploy", target.Id))),
            ("search: two common words, in the room", () => FindAsync(search, new SearchRequest("latency dashboard", target.Id))),
            ("search: common word, page before the middle", () => FindAsync(search, new SearchRequest("deploy", target.Id, middle))),
            ("search: prefix 'dep', in the room", () => FindAsync(search, new SearchRequest("dep", target.Id))),
            ("search: 1 in 100 word, in the room", () => FindAsync(search, new SearchRequest("k42", target.Id))),
            ("search: 1 in 10,000 word, everywhere", () => FindAsync(search, new SearchRequest("w4242"))),
            ("search: 1 in 10,000 word and a common prefix", () => FindAsync(search, new SearchRequest("w4242 hel"))),
            ("search: a word no message holds", () => FindAsync(search, new SearchRequest("zzyzx"))),
        };
        foreach (var depth in depths)
        {
            var user = Reader + depth;
            kinds.Add((string.Create(CultureInfo.InvariantCulture, $"unread: {depth:N0} behind, one room"), () => UnreadAsync(markers, user)));
        }

        kinds.Add(("unread: 1,000 behind in each of 10 rooms, with mentions", () => UnreadAsync(markers, Reader)));

        Console.WriteLine();
        Console.WriteLine($"| provider | read | rows | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (name, run) in kinds)
        {
            var rows = 0;
            for (var i = 0; i < options.WarmupReads; i++)
            {
                rows = await run();
            }

            var latencies = new List<long>(options.Reads);
            var machine = MachineSample.Start(database.Postmaster);
            for (var i = 0; i < options.Reads; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await run();
                latencies.Add(Stopwatch.GetTimestamp() - t0);
            }

            var use = machine.Stop();
            var p = Percentiles.Of(latencies);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {options.ProviderName} | {name} | {rows:N0} | {p.P50:N3} | {p.P99:N3} | {p.Max:N3} |"));
            Tsv.Append(options, "search", options.ProviderName, name, rows, p.Count, p.Mean, p.P50, p.P90, p.P99, p.P999, p.Max, use.MachineBusy, use.LoadAverage);
        }

        await ExplainAsync(database, target.Id, ids[^1000]);
    }

    private static async Task<int> FindAsync(SearchService search, SearchRequest request)
    {
        var page = await search.SearchAsync(request);
        return page.Value?.Messages.Count ?? throw new InvalidOperationException(page.Errors?.ToString());
    }

    private static async Task<int> UnreadAsync(ReadMarkerService markers, long userId)
    {
        var rooms = await markers.ListUnreadAsync(userId);
        return (int)rooms.Sum(r => r.Unread);
    }

    /// <summary>
    /// One reader per depth with a marker that far behind the room's newest message; and
    /// <see cref="Reader"/> with a marker 1,000 behind in every room, mentioned in one message
    /// of a thousand of the big room.
    /// </summary>
    private static async Task PrepareUnreadAsync(BenchDatabase database, ReadMarkerService markers, RoomView target, List<long> ids, int[] depths)
    {
        foreach (var depth in depths)
        {
            await MarkAsync(markers, target, Reader + depth, ids[^(depth + 1)]);
        }

        await using var db = await database.Contexts.CreateDbContextAsync();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        foreach (var room in await db.Rooms.AsNoTracking().ToListAsync())
        {
            var roomIds = await db.Messages.Where(m => m.RoomId == room.Id).OrderByDescending(m => m.Id).Select(m => m.Id).Skip(1000).Take(1).ToListAsync();
            if (roomIds.Count == 1)
            {
                await MarkAsync(markers, RoomView.Of(room), Reader, roomIds[0]);
            }
        }

        await db.Database.ExecuteSqlAsync($"INSERT INTO mentions (message_id, user_id, room_id) SELECT id, {Reader}, room_id FROM messages WHERE room_id = {target.Id} AND id % 1000 = 0");
        await db.Database.ExecuteSqlRawAsync(database.Database.Provider == DatabaseProvider.Postgres ? "VACUUM ANALYZE" : "ANALYZE");
    }

    private static async Task MarkAsync(ReadMarkerService markers, RoomView room, long userId, long messageId)
    {
        var result = await markers.MarkReadAsync(room, new ChatUser(userId, "reader"), messageId);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"Could not mark {messageId} read: {result.Errors}");
        }
    }

    private static async Task<List<long>> RoomIdsAsync(BenchDatabase database, long roomId)
    {
        await using var db = await database.Contexts.CreateDbContextAsync();
        return await db.Messages.Where(m => m.RoomId == roomId).OrderBy(m => m.Id).Select(m => m.Id).ToListAsync();
    }

    /// <summary>The plans of a search in the room and of an unread count 1,000 behind.</summary>
    private static async Task ExplainAsync(BenchDatabase database, long roomId, long marker)
    {
        var postgres = database.Database.Provider == DatabaseProvider.Postgres;
        var statements = postgres
            ? new[]
            {
                $"SELECT m.id FROM messages m WHERE m.search @@ CAST('''\uE000{roomId}'' & ''deploy'':*' AS tsquery) AND m.id < {long.MaxValue} AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT 21",
                $"SELECT m.id FROM messages m WHERE m.search @@ CAST('''w4242'':*' AS tsquery) AND m.id < {long.MaxValue} AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT 21",
                $"SELECT COUNT(*) FROM messages m WHERE m.room_id = {roomId} AND m.id > {marker} AND m.deleted_at IS NULL AND m.user_id <> {Reader}",
            }
            : new[]
            {
                $"SELECT m.id FROM messages_search s CROSS JOIN messages m ON m.id = s.rowid WHERE messages_search MATCH '\"\uE000{roomId}\" \"deploy\"*' AND s.rowid < {long.MaxValue} ORDER BY s.rowid DESC LIMIT 21",
                $"SELECT COUNT(*) FROM messages m WHERE m.room_id = {roomId} AND m.id > {marker} AND m.deleted_at IS NULL AND m.user_id <> {Reader}",
            };
        await using var db = await database.Contexts.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        foreach (var sql in statements)
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = (postgres ? "EXPLAIN (ANALYZE, COSTS OFF) " : "EXPLAIN QUERY PLAN ") + sql;
            Console.WriteLine("  plan of " + sql.Replace('\uE000', '~'));
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Console.WriteLine("    " + reader.GetValue(reader.FieldCount - 1));
            }
        }
    }
}
