using System.Globalization;
using Chat.Persistence;

namespace Chat.Benchmarks;

/// <summary>The command line: <c>&lt;part&gt; --provider sqlite|postgres [--option value]…</c>.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Chat.Benchmarks: message persistence through the real chat context.

          persist  --provider sqlite|postgres [--mode group|naive|both] [--senders 1,10,100,1000]
                   [--warmup 3] [--duration 5] [--repeat 3] [--rooms 10] [--existing 100000]
                   [--client-ids time|sender|random]
                   --existing: messages already in the database (seeded, analyzed) before the warm-up
                   [--refused-every N]
                   --client-ids: how senders make their client_id (default time-ordered, as the web app)
                   --refused-every: group mode; every Nth send of each sender carries a NUL, which
                   the chat refuses with a field error (issue 12, fault test 4; 0 = none)
          history  --provider sqlite|postgres [--room-messages 1000000] [--other-messages 1000000]
                   [--reads 10000] [--warmup-reads 2000] [--repeat 3]
          search   --provider sqlite|postgres [--room-messages 1000000] [--other-messages 1000000]
                   [--reads 2000] [--warmup-reads 200]
                   search and unread counts through SearchService and ReadMarkerService
          store    --provider sqlite|postgres [--batch 1,10,100,1000] [--warmup 2] [--duration 5] [--existing 100000]
                   the batch store alone, one batch after another (where a commit's time goes)
          fsync    [--dir /tmp] [--count 300]        one 8 KiB write + fsync, the disk's floor
          report   --tsv results.tsv                 the tables of docs/benchmarks.md from a run's --tsv

          --pg "Host=…;Username=postgres;Database=postgres"   admin connection; each run creates
                 (and drops) its own database. Default: $CHAT_BENCH_POSTGRES.
          --dir  where SQLite files go (default: the temp directory)
          --tsv  a file to append one line per result to (for bench/persistence.sh)

        Experiments (not part of the standard run):
          --authors N            store: spread batches over N authors (default 1000; 1 = perfect index locality)
          --drop-index a,b       drop these indexes after migrating, to measure what each one costs
        """;

    public required string Part { get; init; }

    public DatabaseProvider Provider { get; init; } = DatabaseProvider.Sqlite;

    public string Mode { get; init; } = "both";

    public IReadOnlyList<int> Senders { get; init; } = [1, 10, 100, 1000];

    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 10, 100, 1000];

    public double WarmupSeconds { get; init; } = 3;

    public double DurationSeconds { get; init; } = 5;

    public int Repeat { get; init; } = 3;

    public int Rooms { get; init; } = 10;

    public int Existing { get; init; } = 100_000;

    public int RoomMessages { get; init; } = 1_000_000;

    public int OtherMessages { get; init; } = 1_000_000;

    public int Reads { get; init; } = 10_000;

    public int WarmupReads { get; init; } = 2_000;

    public int Count { get; init; } = 300;

    public string Directory { get; init; } = Path.GetTempPath();

    public string? PostgresAdmin { get; init; } = Environment.GetEnvironmentVariable("CHAT_BENCH_POSTGRES");

    public string? TsvPath { get; init; }

    public int Authors { get; init; } = 1000;

    public ClientIdStyle ClientIds { get; init; } = ClientIdStyle.Time;

    public int RefusedEvery { get; init; }

    public IReadOnlyList<string> DropIndexes { get; init; } = [];

    public string ProviderName => Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres";

    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            throw new ArgumentException(Usage);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected --name value, got '{args[i]}'.\n\n{Usage}");
            }

            values[args[i][2..]] = args[++i];
        }

        string? Take(string name) => values.Remove(name, out var value) ? value : null;
        double Number(string name, double fallback) => Take(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int Integer(string name, int fallback) => Take(name) is { } v ? int.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

        var defaults = new BenchOptions { Part = args[0] };
        var options = new BenchOptions
        {
            Part = args[0],
            Provider = Take("provider") switch
            {
                null or "sqlite" => DatabaseProvider.Sqlite,
                "postgres" or "postgresql" => DatabaseProvider.Postgres,
                var other => throw new ArgumentException($"Unknown provider '{other}'."),
            },
            Mode = Take("mode") switch
            {
                null => defaults.Mode,
                var mode when mode is "group" or "naive" or "both" => mode,
                var other => throw new ArgumentException($"Unknown mode '{other}': group, naive or both."),
            },
            Senders = Take("senders") is { } senders
                ? senders.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
                : defaults.Senders,
            BatchSizes = Take("batch") is { } sizes
                ? sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
                : defaults.BatchSizes,
            WarmupSeconds = Number("warmup", defaults.WarmupSeconds),
            DurationSeconds = Number("duration", defaults.DurationSeconds),
            Repeat = Integer("repeat", defaults.Repeat),
            Rooms = Integer("rooms", defaults.Rooms),
            Existing = Integer("existing", defaults.Existing),
            RoomMessages = Integer("room-messages", defaults.RoomMessages),
            OtherMessages = Integer("other-messages", defaults.OtherMessages),
            Reads = Integer("reads", defaults.Reads),
            WarmupReads = Integer("warmup-reads", defaults.WarmupReads),
            Count = Integer("count", defaults.Count),
            Directory = Take("dir") ?? defaults.Directory,
            PostgresAdmin = Take("pg") ?? defaults.PostgresAdmin,
            TsvPath = Take("tsv"),
            Authors = Integer("authors", defaults.Authors),
            ClientIds = Benchmarks.ClientIds.Parse(Take("client-ids")),
            RefusedEvery = Integer("refused-every", defaults.RefusedEvery),
            DropIndexes = Take("drop-index")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
        };

        if (values.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}.\n\n{Usage}");
        }

        return options;
    }
}
