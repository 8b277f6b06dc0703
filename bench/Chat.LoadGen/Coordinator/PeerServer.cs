using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Coordinator;

/// <summary>Where a peer keeps its messages: nowhere (fan-out, idle), SQLite or PostgreSQL.</summary>
internal enum Store
{
    None,
    Sqlite,
    Postgres,
}

/// <summary>How a peer is started for one measurement.</summary>
/// <param name="Sockets">How many sockets the measurement opens at most, for peers that need to be told.</param>
/// <param name="Redis">Ours as one of several nodes: the Redis they share.</param>
internal sealed record PeerLaunch(Store Store, string SigningKey, string DataDir, PostgresServer? Postgres, bool ExposeGc, int Sockets, string? Redis = null);

/// <summary>
/// A server under test: started fresh for every measurement, pinned, in Release or production
/// mode with its default GC settings and Warning logs; its process read from /proc.
/// </summary>
internal abstract class PeerServer : IAsyncDisposable
{
    private static readonly HashSet<Process> Live = [];
    private readonly List<string> _output = [];
    private Process? _process;

    protected PeerServer(Options options) => Options = options;

    protected Options Options { get; }

    /// <summary>ours, signalr, socketio.</summary>
    public abstract string Name { get; }

    /// <summary>The load generator's protocol for this peer.</summary>
    public abstract string Protocol { get; }

    public int Port { get; private set; }

    public int Pid => _process?.Id ?? 0;

    public PeerLaunch Launch { get; private set; } = null!;

    public bool HasExited => _process?.HasExited ?? true;

    public static PeerServer Create(string name, Options options) => name switch
    {
        "ours" => new OursPeer(options),
        "signalr" => new SignalRPeer(options),
        "socketio" => new SocketIoPeer(options),
        _ => throw new ArgumentException($"unknown peer {name}; known: ours, signalr, socketio"),
    };

    public async Task StartAsync(PeerLaunch launch)
    {
        Launch = launch;
        Port = FreePort();
        var start = Options.Pinning.StartInfo(Options.Pinning.ServerCpus, Command(launch));
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in Environment(launch))
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Name}");
        lock (Live)
        {
            Live.Add(_process);
        }

        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited at start ({_process.ExitCode}):\n{Output()}");
            }

            try
            {
                if ((await http.GetAsync($"{HttpUrl}/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} did not become healthy:\n{Output()}");
    }

    public string HttpUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The command line, without the pinning.</summary>
    protected abstract IReadOnlyList<string> Command(PeerLaunch launch);

    protected abstract IEnumerable<(string Key, string Value)> Environment(PeerLaunch launch);

    /// <summary>Makes the rooms exist where the peer needs that (ours refuses joins to unknown rooms).</summary>
    public virtual Task PrepareRoomsAsync(RoomLayout layout) => Task.CompletedTask;

    /// <summary>Forces a full, blocking garbage collection in the server, for memory measurements; the live heap after it, where the runtime tells.</summary>
    public abstract Task<HeapSnapshot?> ForceGcAsync();

    /// <summary>How many times the server has given memory back on its own so far, for a peer that counts it (ours); null otherwise.</summary>
    public virtual Task<long?> MemoryReclaimsAsync() => Task.FromResult<long?>(null);

    public double CpuSeconds() => ProcStat.CpuSeconds(Pid);

    public long Rss() => ProcStat.Rss(Pid);

    public string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output.TakeLast(60));
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
            if (_output.Count > 2000)
            {
                _output.RemoveRange(0, 1000);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        if (_process is not null)
        {
            lock (Live)
            {
                Live.Remove(_process);
            }

            _process.Dispose();
        }

        if (Launch is { DataDir: { } dataDir } && Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Kills every server still running: the run was interrupted.</summary>
    public static void KillAll()
    {
        lock (Live)
        {
            foreach (var process in Live)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }

            Live.Clear();
        }
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
