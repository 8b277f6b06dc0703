using System.Diagnostics;
using System.Globalization;
using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Benchmarks;

/// <summary>
/// History read latency on a big room: one room holds --room-messages messages, and the
/// other rooms' --other-messages are interleaved with them (so the room's rows are spread
/// over the table and only the <c>(room_id, id)</c> index finds them fast). Then, one at a
/// time, through <see cref="MessageService.ListAsync"/>: the newest page, a page before
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
        await Seeder.SeedAsync(database.Database, target, others, options.RoomMessages, options.OtherMessages);

        Console.WriteLine($"  seeded {options.RoomMessages:N0} messages in room {target.Id} and {options.OtherMessages:N0} in {others.Length} other rooms, interleaved, in {seedClock.Elapsed.TotalSeconds:N1} s");

        var (firstId, lowestFullPage, middleId, lastId) = await RoomIdsAsync(database, target.Id, options.RoomMessages);
        Console.WriteLine($"  room {target.Id}: ids {firstId:N0} … {lastId:N0}, middle page before id {middleId:N0}; database size {await SizeAsync(database):N0} MiB");
        await ExplainAsync(database, target.Id, middleId);

        var random = new Random(7);
        var chat = database.Messages;
        var control = new ControlWork();
        var kinds = new (string Name, Func<Task> Read)[]
        {
            ("newest", () => ReadAsync(chat, target.Id, new HistoryRequest(Limit: PageSize))),
            ("before middle", () => ReadAsync(chat, target.Id, new HistoryRequest(BeforeId: middleId, Limit: PageSize))),
            ("before random", () => ReadAsync(chat, target.Id, new HistoryRequest(BeforeId: random.NextInt64(lowestFullPage + 1, lastId + 1), Limit: PageSize))),
            // An experiment, not the chat's code: the same query as "before middle", as an EF Core
            // compiled query, to see what building the query on every call costs.
            ("before middle, compiled query", () => ReadCompiledAsync(database.Contexts, target.Id, middleId)),
            // Controls, timed the same way. "SELECT 1" takes the same path to the database as a
            // read (a pooled connection, a round trip, a thread-pool continuation) and does no
            // work there; "CPU only" is a fixed few microseconds of sorting with no I/O at all.
            // What they show in their tails is the machine's, not the query's.
            ("control: SELECT 1", () => SelectOneAsync(database.Database)),
            ("control: CPU only", control.RunAsync),
        };

        var summary = new List<string>();
        foreach (var (name, read) in kinds)
        {
            var rounds = new List<Percentiles>();
            for (var round = 1; round <= options.Repeat; round++)
            {
                for (var i = 0; i < options.WarmupReads; i++)
                {
                    await read();
                }

                var machine = MachineSample.Start();
                var latencies = new List<long>(options.Reads);
                for (var i = 0; i < options.Reads; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    await read();
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

    /// <summary>Sorts a copy of the same 3,000 numbers: the same CPU work every time, no I/O, no locks.</summary>
    private sealed class ControlWork
    {
        private readonly int[] _source = Enumerable.Range(0, 3000).Select(i => (int)((i * 2654435761L) % 100_003)).ToArray();
        private readonly int[] _scratch = new int[3000];

        public Task RunAsync()
        {
            _source.CopyTo(_scratch, 0);
            Array.Sort(_scratch);
            return Task.CompletedTask;
        }
    }

    private static readonly Func<ChatDbContext, long, long, int, IAsyncEnumerable<MessageView>> BeforeQuery =
        EF.CompileAsyncQuery((ChatDbContext db, long roomId, long beforeId, int take) =>
            db.Messages.AsNoTracking().Where(m => m.RoomId == roomId && m.Id < beforeId).OrderByDescending(m => m.Id).Take(take)
                .Select(m => new MessageView(m.Id, m.RoomId, m.UserId, m.Username, m.Content, m.InsertedAt, m.EditedAt, m.DeletedAt != null, Chat.Reactions.MessageReactions.FromJson(m.Reactions), m.Rev ?? m.Id)));

    private static async Task ReadCompiledAsync(IDbContextFactory<ChatDbContext> contexts, long roomId, long beforeId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var rows = new List<MessageView>(PageSize + 1);
        await foreach (var row in BeforeQuery(db, roomId, beforeId, PageSize + 1))
        {
            rows.Add(row);
        }

        if (rows.Count != PageSize + 1)
        {
            throw new InvalidOperationException($"Expected {PageSize + 1} rows, got {rows.Count}.");
        }
    }

    private static async Task SelectOneAsync(ChatDatabase database)
    {
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync();
        }
        else
        {
            await using var command = database.PostgresDataSource!.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync();
        }
    }

    private static async Task ReadAsync(MessageService chat, long roomId, HistoryRequest request)
    {
        var page = (await chat.ListAsync(roomId, request)).Value!;
        if (page.Messages.Count != PageSize || !page.HasMore)
        {
            throw new InvalidOperationException($"Expected a full page with more beyond it, got {page.Messages.Count} (has_more={page.HasMore}).");
        }
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
            .Select(m => new MessageView(m.Id, m.RoomId, m.UserId, m.Username, m.Content, m.InsertedAt, m.EditedAt, m.DeletedAt != null, Chat.Reactions.MessageReactions.FromJson(m.Reactions), m.Rev ?? m.Id))
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
