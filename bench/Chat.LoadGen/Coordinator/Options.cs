using System.Globalization;

namespace Chat.LoadGen.Coordinator;

/// <summary>
/// The coordinator's command line: <c>SCENARIO… [--option value]…</c>. Every default is the
/// documented full run; <c>--quick</c> swaps in a small one that only shows each peer works.
/// </summary>
internal sealed class Options
{
    public static readonly string[] AllScenarios = ["fanout", "rooms", "idle", "chat"];

    public List<string> Scenarios { get; private set; } = [];
    public List<string> Peers { get; private set; } = ["ours", "signalr", "socketio"];
    public bool Quick { get; private set; }
    public string Repo { get; private set; } = FindRepo();
    public string ToolsDir => Path.Combine(Repo, "bench/.tools");
    public string Out { get; private set; } = "";
    public Pinning Pinning { get; private set; } = new("0", "1");
    public int PerWorker { get; private set; } = 15_000;
    public int ContentBytes { get; private set; } = 100;

    /// <summary>Traffic before each measurement that is not measured: JIT, pools, first writes.</summary>
    public double WarmupSeconds { get; private set; } = 3;

    // fan-out
    public List<int> Members { get; private set; } = [1000, 2000, 5000, 10_000];
    public List<double> Rates { get; private set; } = [10_000, 20_000, 40_000, 70_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000, 800_000, 1_000_000];
    public double Seconds { get; private set; } = 10;
    public double Wait { get; private set; } = 15;
    public double P99BoundMs { get; private set; } = 1000;

    // many small rooms
    public int SmallRooms { get; private set; } = 2000;
    public int RoomSize { get; private set; } = 10;
    public int RoomsPerSocket { get; private set; } = 2;
    public double SendEverySeconds { get; private set; } = 10;
    public double RoomsSeconds { get; private set; } = 30;

    // idle
    public List<int> IdleCounts { get; private set; } = [1000, 5000, 10_000, 19_000];
    public double Settle { get; private set; } = 15;
    public double IdleCpuSeconds { get; private set; } = 30;
    public int IdleRooms { get; private set; } = 100;

    // the whole chat
    public int ChatRooms { get; private set; } = 100;
    public int ChatRoomSize { get; private set; } = 10;
    public List<int> InFlight { get; private set; } = [1, 2, 8];
    public double ChatSeconds { get; private set; } = 10;
    public List<Store> Stores { get; private set; } = [Store.Sqlite, Store.Postgres];

    public static Options Parse(string[] args)
    {
        var options = new Options();
        var quick = args.Contains("--quick");
        if (quick)
        {
            options.ApplyQuick();
        }

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                options.Scenarios.AddRange(arg == "all" ? AllScenarios : [arg]);
                continue;
            }

            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--quick": break;
                case "--peers": options.Peers = Value().Split(',').ToList(); break;
                case "--repo": options.Repo = Path.GetFullPath(Value()); break;
                case "--out": options.Out = Value(); break;
                case "--no-pin": options.Pinning = Pinning.None; break;
                case "--server-cpus": options.Pinning = options.Pinning with { ServerCpus = Value() }; break;
                case "--client-cpus": options.Pinning = options.Pinning with { ClientCpus = Value() }; break;
                case "--per-worker": options.PerWorker = Int(Value()); break;
                case "--content-bytes": options.ContentBytes = Int(Value()); break;
                case "--warmup": options.WarmupSeconds = Number(Value()); break;
                case "--members": options.Members = Ints(Value()); break;
                case "--rates": options.Rates = Value().Split(',').Select(Rate).ToList(); break;
                case "--seconds": options.Seconds = Number(Value()); break;
                case "--wait": options.Wait = Number(Value()); break;
                case "--p99-bound-ms": options.P99BoundMs = Number(Value()); break;
                case "--small-rooms": options.SmallRooms = Int(Value()); break;
                case "--room-size": options.RoomSize = Int(Value()); break;
                case "--rooms-per-socket": options.RoomsPerSocket = Int(Value()); break;
                case "--send-every": options.SendEverySeconds = Number(Value()); break;
                case "--rooms-seconds": options.RoomsSeconds = Number(Value()); break;
                case "--idle-counts": options.IdleCounts = Ints(Value()); break;
                case "--settle": options.Settle = Number(Value()); break;
                case "--idle-cpu-seconds": options.IdleCpuSeconds = Number(Value()); break;
                case "--idle-rooms": options.IdleRooms = Int(Value()); break;
                case "--chat-rooms": options.ChatRooms = Int(Value()); break;
                case "--chat-room-size": options.ChatRoomSize = Int(Value()); break;
                case "--in-flight": options.InFlight = Ints(Value()); break;
                case "--chat-seconds": options.ChatSeconds = Number(Value()); break;
                case "--stores": options.Stores = Value().Split(',').Select(s => Enum.Parse<Store>(s, ignoreCase: true)).ToList(); break;
                default: throw new ArgumentException($"unknown option {arg}");
            }
        }

        if (options.Scenarios.Count == 0)
        {
            options.Scenarios.AddRange(AllScenarios);
        }

        foreach (var scenario in options.Scenarios.Where(s => !AllScenarios.Contains(s)))
        {
            throw new ArgumentException($"unknown scenario {scenario}; known: {string.Join(", ", AllScenarios)}, all");
        }

        if (options.Out.Length == 0)
        {
            options.Out = Path.Combine(options.Repo, "artifacts", "bench", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        }

        return options;
    }

    /// <summary>Small enough that every scenario for every peer takes well under two minutes.</summary>
    private void ApplyQuick()
    {
        Quick = true;
        WarmupSeconds = 0.5;
        Members = [200];
        Rates = [2000, 10_000];
        Seconds = 1.5;
        Wait = 5;
        SmallRooms = 50;
        RoomsPerSocket = 2;
        SendEverySeconds = 1;
        RoomsSeconds = 2;
        IdleCounts = [200];
        Settle = 1;
        IdleCpuSeconds = 1;
        ChatRooms = 10;
        ChatRoomSize = 5;
        InFlight = [2];
        ChatSeconds = 2;
        Stores = [Store.Sqlite];
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static double Number(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private static List<int> Ints(string value) => value.Split(',').Select(Int).ToList();

    /// <summary>A rate, with k for thousands: 40k, 1.5k, 40000.</summary>
    private static double Rate(string value) => value.EndsWith('k')
        ? Number(value[..^1]) * 1000
        : Number(value);

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chat.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
