using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Chat.LoadGen.Report;
using Chat.LoadGen.Scenarios;

namespace Chat.LoadGen.Coordinator;

/// <summary>
/// Runs the scenarios for every peer, prints progress and one table per scenario at the end, and
/// writes results.json, results.md and chart.svg to the output directory.
/// </summary>
internal static class BenchCoordinator
{
    public static async Task<int> RunAsync(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("usage: Chat.LoadGen [fanout|rooms|idle|chat|all]… [--quick] [--peers ours,signalr,socketio] [--out DIR] … (see bench/run.sh)");
            return 2;
        }

        var results = new BenchResults
        {
            StartedAt = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            Commit = await CommitAsync(options.Repo),
            Machine = Machine.Describe(),
            Command = string.Join(' ', args),
            Quick = options.Quick,
        };
        var run = new BenchRun(options, results);
        run.Print($"bench: {string.Join(", ", options.Scenarios)} for {string.Join(", ", options.Peers)}; commit {results.Commit}; {results.Machine}");
        run.Print($"pinning: server on CPU {options.Pinning.ServerCpus ?? "any"}, load generator on CPU {options.Pinning.ClientCpus ?? "any"}; results in {options.Out}");

        // Ctrl-C or a timeout's SIGTERM ends the run with its results so far, and no server is
        // left behind (workers exit by themselves when the coordinator's pipe to them closes).
        using var interrupted = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => PeerServer.KillAll();

        try
        {
            foreach (var scenario in options.Scenarios)
            {
                if (interrupted.IsCancellationRequested)
                {
                    break;
                }

                var task = scenario switch
                {
                    "fanout" => FanoutScenario.RunAsync(run),
                    "rooms" => RoomsScenario.RunAsync(run),
                    "idle" => IdleScenario.RunAsync(run),
                    "chat" => ChatScenario.RunAsync(run),
                    _ => throw new NotSupportedException($"scenario {scenario} is not written yet"),
                };
                await task.WaitAsync(interrupted.Token);
            }
        }
        catch (OperationCanceledException)
        {
            run.Print("interrupted");
        }
        finally
        {
            PeerServer.KillAll();
            if (run.Postgres is { } postgres)
            {
                await postgres.DisposeAsync();
            }
        }

        Directory.CreateDirectory(options.Out);
        await File.WriteAllTextAsync(Path.Combine(options.Out, "results.json"), JsonSerializer.Serialize(results, ResultsJson.Default.BenchResults));
        var markdown = Tables.Markdown(results);
        await File.WriteAllTextAsync(Path.Combine(options.Out, "results.md"), markdown);
        if (results.Fanout.Count > 0)
        {
            await File.WriteAllTextAsync(Path.Combine(options.Out, "fanout.svg"), Chart.FanoutSvg(results));
        }

        Console.WriteLine();
        Console.WriteLine(markdown);
        run.Print($"wrote {options.Out}/results.json, results.md{(results.Fanout.Count > 0 ? ", fanout.svg" : "")}");
        if (interrupted.IsCancellationRequested)
        {
            return 130;
        }

        // What the CI smoke test relies on: every peer ran every scenario asked for and measured
        // something. Never a timing: those belong to the tables.
        var missing = Completeness.Missing(options, results);
        foreach (var line in missing)
        {
            run.Print($"MISSING: {line}");
        }

        run.Print(missing.Count == 0
            ? $"every peer produced numbers in every scenario ({options.Peers.Count} peers, {options.Scenarios.Count} scenarios)"
            : $"{missing.Count} peer/scenario pairs produced no numbers");
        return missing.Count == 0 ? 0 : 1;
    }

    /// <summary>Merges the results of several runs (one per room size, say) into one set of tables and one chart.</summary>
    public static async Task<int> ReportAsync(string output, string[] inputs)
    {
        var runs = new List<BenchResults>();
        foreach (var input in inputs)
        {
            runs.Add(JsonSerializer.Deserialize(await File.ReadAllTextAsync(input), ResultsJson.Default.BenchResults)!);
        }

        if (runs.Count == 0)
        {
            Console.Error.WriteLine("usage: Chat.LoadGen report OUTPUT_DIR results.json…");
            return 2;
        }

        var commits = string.Join(", ", runs.Select(r => r.Commit).Distinct());
        var merged = runs[0] with
        {
            Commit = commits,
            Fanout = runs.SelectMany(r => r.Fanout).ToList(),
            Rooms = runs.SelectMany(r => r.Rooms).ToList(),
            Idle = runs.SelectMany(r => r.Idle).ToList(),
            Chat = runs.SelectMany(r => r.Chat).ToList(),
        };
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "results.md"), Tables.Markdown(merged));
        if (merged.Fanout.Count > 0)
        {
            await File.WriteAllTextAsync(Path.Combine(output, "fanout.svg"), Chart.FanoutSvg(merged));
        }

        Console.WriteLine(Tables.Markdown(merged));
        return 0;
    }

    private static async Task<string> CommitAsync(string repo)
    {
        try
        {
            var commit = (await PeerServerTools.RunAsync("git", ["-C", repo, "rev-parse", "--short", "HEAD"], TimeSpan.FromSeconds(10))).Trim();
            var changes = (await PeerServerTools.RunAsync("git", ["-C", repo, "status", "--porcelain", "--untracked-files=no"], TimeSpan.FromSeconds(10))).Trim();
            return changes.Length > 0 ? $"{commit}+changes" : commit;
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

/// <summary>One line about the machine, for the results.</summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        // Not Environment.ProcessorCount: the coordinator itself runs pinned to one core.
        var cpus = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)) : Environment.ProcessorCount;
        return string.Create(CultureInfo.InvariantCulture,
            $"{cpus} CPUs ({cpu ?? "unknown"}), {memory:0} GiB, {Environment.OSVersion.VersionString}, .NET {Environment.Version}");
    }
}
