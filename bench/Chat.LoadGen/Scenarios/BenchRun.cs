using System.Globalization;
using System.Security.Cryptography;
using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Report;

namespace Chat.LoadGen.Scenarios;

/// <summary>What every scenario shares: the options, the results so far, progress output, and fresh servers.</summary>
internal sealed class BenchRun(Options options, BenchResults results)
{
    public Options Options { get; } = options;

    public BenchResults Results { get; } = results;

    public PostgresServer? Postgres { get; set; }

    /// <summary>One progress line, prefixed with the time since the start.</summary>
    public void Print(string line) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {line}"));

    /// <summary>Starts a fresh server of <paramref name="peer"/>: its own data directory, signing key and (PostgreSQL) database.</summary>
    public async Task<PeerServer> StartPeerAsync(string peer, Store store, bool exposeGc = false, int sockets = 0)
    {
        var dataDir = Directory.CreateTempSubdirectory("chat-bench-").FullName;
        if (store == Store.Postgres)
        {
            Postgres ??= await PostgresServer.StartAsync();
            await Postgres.RecreateDatabaseAsync($"bench_{peer}");
        }

        var server = PeerServer.Create(peer, Options);
        try
        {
            await server.StartAsync(new PeerLaunch(store, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), dataDir, Postgres, exposeGc, sockets));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Ours on <paramref name="nodes"/> nodes that serve one chat: one fresh PostgreSQL database,
    /// a fresh Redis, a shared signing key, every node pinned where one server would be. The
    /// first node starts alone, so that it alone applies the migrations.
    /// </summary>
    public async Task<Deployment> StartNodesAsync(int nodes, int sockets)
    {
        Postgres ??= await PostgresServer.StartAsync();
        await Postgres.RecreateDatabaseAsync("bench_ours");
        var redis = await RedisServer.StartAsync(Options.Pinning);
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var started = new List<PeerServer>();
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                var node = PeerServer.Create("ours", Options);
                started.Add(node);
                var dataDir = Directory.CreateTempSubdirectory("chat-bench-").FullName;
                await node.StartAsync(new PeerLaunch(Store.Postgres, signingKey, dataDir, Postgres, ExposeGc: false, sockets, redis.ConnectionString));
            }
        }
        catch
        {
            await Deployment.Cluster(started, redis).DisposeAsync();
            throw;
        }

        return Deployment.Cluster(started, redis);
    }

    /// <summary>Waits until <paramref name="done"/> holds or <paramref name="limit"/> passes; the last stats either way.</summary>
    public static async Task<PoolStats> WaitForAsync(WorkerPool pool, Func<PoolStats, bool> done, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var stats = await pool.StatsAsync();
            if (done(stats) || clock.Elapsed >= limit)
            {
                return stats;
            }

            await Task.Delay(100);
        }
    }

    public static string Ms(double? value) => value switch
    {
        null => "–",
        < 10 => value.Value.ToString("0.00", CultureInfo.InvariantCulture),
        < 100 => value.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("#,0", CultureInfo.InvariantCulture),
    };

    public static string Count(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
