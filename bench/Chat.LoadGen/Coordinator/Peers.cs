using System.Net.Http.Json;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Coordinator;

/// <summary>Ours: the real server (src/Chat.Server, Release), the real RoomChannel, SQLite or PostgreSQL.</summary>
internal sealed class OursPeer(Options options) : PeerServer(options)
{
    public override string Name => "ours";

    public override string Protocol => "phoenix";

    protected override IReadOnlyList<string> Command(PeerLaunch launch) =>
        ["dotnet", Path.Combine(Options.Repo, "src/Chat.Server/bin/Release/net10.0/Chat.Server.dll"), "--urls", HttpUrl];

    protected override IEnumerable<(string, string)> Environment(PeerLaunch launch)
    {
        yield return ("ASPNETCORE_ENVIRONMENT", "Production");
        yield return ("Logging__LogLevel__Default", "Warning");
        yield return ("Chat__DataDir", launch.DataDir);
        yield return ("Chat__Auth__SigningKey", launch.SigningKey);
        // Out of the way: every scenario sends far more per user than a person would.
        yield return ("Chat__RateLimit__MessagesPerSecond", "1000000");
        yield return ("Chat__RateLimit__Burst", "1000000");
        // Its rooms are made over HTTP by one admin token, far more than a person makes.
        yield return ("Chat__RateLimit__RoomCreations", "1000000");
        if (launch.Sockets > 18_000)
        {
            // By default the server keeps a twentieth of its 20,000 files spare and a tenth of
            // the rest for plain HTTP: 18,000 sockets. 19,000 idle sockets need the cap raised.
            yield return ("Chat__Limits__MaxConnections", "20000");
        }

        if (launch.Store == Store.Postgres)
        {
            yield return ("Chat__Database__Provider", "postgres");
            yield return ("ConnectionStrings__Chat", launch.Postgres!.ConnectionString("bench_ours"));
        }

        if (launch.Redis is not null)
        {
            yield return ("ConnectionStrings__Redis", launch.Redis);
        }
    }

    /// <summary>The real RoomChannel admits only rooms that exist: create them over HTTP, as an integration would.</summary>
    public override async Task PrepareRoomsAsync(RoomLayout layout)
    {
        using var http = new HttpClient { BaseAddress = new Uri(HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        var token = Tokens.Mint(Launch.SigningKey, 1_000_000_000, "bench-admin");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await Parallel.ForEachAsync(Enumerable.Range(0, layout.Rooms), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (room, cancel) =>
        {
            var name = layout.RoomName(room);
            using var response = await http.PostAsJsonAsync("/api/rooms", new RoomRequest(name), CoordinatorJson.Default.RoomRequest, cancel);
            var body = await response.Content.ReadAsStringAsync(cancel);
            if ((int)response.StatusCode != 201 || !body.Contains($"\"slug\":\"{name}\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"could not create room {name}: {(int)response.StatusCode} {body}");
            }
        });
    }

    public override Task<HeapSnapshot?> ForceGcAsync() => DotnetGcdump.CollectAsync(Options, Pid);

    /// <summary>Its reclaimer's counter, from the Prometheus text at /metrics (absent until the first reclaim); null if it cannot be read.</summary>
    public override async Task<long?> MemoryReclaimsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return PrometheusText.Counter(await http.GetStringAsync($"{HttpUrl}/metrics"), "chat_memory_reclaims_total");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            // Metrics turned off, or the server too busy to answer: the wait falls back to RSS alone.
            return null;
        }
    }
}

/// <summary>A SignalR hub (bench/peers/signalr), as its documentation teaches.</summary>
internal sealed class SignalRPeer(Options options) : PeerServer(options)
{
    public override string Name => "signalr";

    public override string Protocol => "signalr";

    protected override IReadOnlyList<string> Command(PeerLaunch launch) =>
        ["dotnet", Path.Combine(Options.Repo, "bench/peers/signalr/bin/Release/net10.0/Chat.Bench.SignalRPeer.dll"), "--urls", HttpUrl];

    protected override IEnumerable<(string, string)> Environment(PeerLaunch launch)
    {
        yield return ("ASPNETCORE_ENVIRONMENT", "Production");
        yield return ("Logging__LogLevel__Default", "Warning");
        yield return ("Peer__SigningKey", launch.SigningKey);
        yield return ("Peer__Store", launch.Store.ToString().ToLowerInvariant());
        if (launch.Store == Store.Sqlite)
        {
            yield return ("ConnectionStrings__Chat", $"Data Source={Path.Combine(launch.DataDir, "signalr.db")}");
        }
        else if (launch.Store == Store.Postgres)
        {
            yield return ("ConnectionStrings__Chat", launch.Postgres!.ConnectionString("bench_signalr"));
        }
    }

    public override Task<HeapSnapshot?> ForceGcAsync() => DotnetGcdump.CollectAsync(Options, Pid);
}

/// <summary>Socket.IO 4.8 on Node (bench/peers/socketio), as its documentation teaches.</summary>
internal sealed class SocketIoPeer(Options options) : PeerServer(options)
{
    public override string Name => "socketio";

    public override string Protocol => "socketio";

    protected override IReadOnlyList<string> Command(PeerLaunch launch) => launch.ExposeGc
        ? ["node", "--expose-gc", Path.Combine(Options.Repo, "bench/peers/socketio/server.js")]
        : ["node", Path.Combine(Options.Repo, "bench/peers/socketio/server.js")];

    protected override IEnumerable<(string, string)> Environment(PeerLaunch launch)
    {
        yield return ("NODE_ENV", "production");
        yield return ("PORT", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("SIGNING_KEY", launch.SigningKey);
        yield return ("STORE", launch.Store.ToString().ToLowerInvariant());
        if (launch.Store == Store.Sqlite)
        {
            yield return ("SQLITE_FILE", Path.Combine(launch.DataDir, "socketio.db"));
        }
        else if (launch.Store == Store.Postgres)
        {
            yield return ("DATABASE_URL", launch.Postgres!.Url("bench_socketio"));
        }
    }

    /// <summary>The peer's benchmark-only hook, there only when Node runs with --expose-gc; it answers process.memoryUsage().</summary>
    public override async Task<HeapSnapshot?> ForceGcAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.PostAsync($"{HttpUrl}/bench/gc", content: null);
        response.EnsureSuccessStatusCode();
        var memory = await response.Content.ReadFromJsonAsync(NodeJson.Default.NodeMemoryUsage);
        return memory is null ? null : new HeapSnapshot(memory.HeapUsed, []);
    }
}
