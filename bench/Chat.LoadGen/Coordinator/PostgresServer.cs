using System.Globalization;

namespace Chat.LoadGen.Coordinator;

/// <summary>
/// A throwaway PostgreSQL 15 on loopback in a temporary directory, started as test.sh starts
/// one, but durable (fsync on, the defaults): the whole-chat scenario measures durable sends.
/// Each peer gets a fresh database of its own. <c>CHAT_BENCH_POSTGRES_OPTIONS</c> adds server
/// options for a measurement (<c>-c shared_preload_libraries=pg_stat_statements</c>, say); it
/// is meant for looking inside a run, not for tuning the database the peers share.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;

    private PostgresServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=100";

    public string Url(string database) => $"postgres://postgres@127.0.0.1:{Port}/{database}";

    public static async Task<PostgresServer> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "postgres")))
        {
            throw new FileNotFoundException($"PostgreSQL 15 is not in {Bin} (apt-get install postgresql-15)");
        }

        var dir = Directory.CreateTempSubdirectory("chat-bench-pg.").FullName;
        var port = PeerServer.FreePort();
        var server = new PostgresServer(dir, port);
        if (Environment.UserName == "root")
        {
            await PeerServerTools.RunAsync("chown", ["-R", "postgres", dir], TimeSpan.FromSeconds(30));
        }

        await server.AsPostgresAsync(Path.Combine(Bin, "initdb"), ["-D", $"{dir}/pg", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"], TimeSpan.FromMinutes(2));
        await server.AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", $"{dir}/pg", "-l", $"{dir}/pg.log", "-w", "-o",
            $"-c listen_addresses=127.0.0.1 -p {port.ToString(CultureInfo.InvariantCulture)} -k {dir} -c max_connections=300 {Environment.GetEnvironmentVariable("CHAT_BENCH_POSTGRES_OPTIONS")}", "start"], TimeSpan.FromMinutes(1));
        return server;
    }

    /// <summary>Drops and creates <paramref name="database"/>, so every run starts empty.</summary>
    public async Task RecreateDatabaseAsync(string database)
    {
        foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", $"CREATE DATABASE {database}" })
        {
            await PeerServerTools.RunAsync(Path.Combine(Bin, "psql"),
                ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                TimeSpan.FromMinutes(1));
        }
    }

    private Task AsPostgresAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout) =>
        Environment.UserName == "root"
            ? PeerServerTools.RunAsync("runuser", ["-u", "postgres", "--", tool, .. arguments], timeout)
            : PeerServerTools.RunAsync(tool, arguments, timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", $"{_dir}/pg", "-m", "fast", "stop"], TimeSpan.FromMinutes(1));
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"could not stop PostgreSQL in {_dir}: {error.Message}");
        }

        Directory.Delete(_dir, recursive: true);
    }
}
