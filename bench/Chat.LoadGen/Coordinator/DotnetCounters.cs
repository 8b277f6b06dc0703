using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Chat.LoadGen.Coordinator;

/// <summary>What a .NET server allocated, and the GCs it ran, while something happened.</summary>
internal sealed record Allocations(double Bytes, long Gen0, long Gen1, long Gen2);

/// <summary>
/// Watches a .NET process's allocation rate with <c>dotnet-counters collect</c>: it reports
/// bytes allocated per second, so the sum over the watch is what the process allocated.
/// </summary>
internal sealed partial class DotnetCounters
{
    private readonly Process _process;
    private readonly string _file;

    private DotnetCounters(Process process, string file)
    {
        _process = process;
        _file = file;
    }

    /// <summary>Starts watching <paramref name="pid"/>; null when the tool is not installed.</summary>
    public static async Task<DotnetCounters?> StartAsync(Options options, int pid)
    {
        var tool = Path.Combine(options.ToolsDir, "dotnet-counters");
        if (!File.Exists(tool))
        {
            return null;
        }

        var file = Path.Combine(Path.GetTempPath(), $"bench-counters-{pid}-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--format", "json", "-o", file, "--refresh-interval", "1",
            "--duration", "00:00:30:00", "--counters", "System.Runtime[dotnet.gc.heap.total_allocated,dotnet.gc.collections]",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        // Count from the first report on, or the first allocations go unseen.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !(File.Exists(file) && (await ReadSharedAsync(file)).Contains("total_allocated", StringComparison.Ordinal)))
        {
            await Task.Delay(200);
        }

        return new DotnetCounters(process, file);
    }

    public async Task<Allocations> StopAsync()
    {
        await Task.Delay(2500); // the last one-second interval
        // "q" ends the session with every interval written; a signal loses the last ones.
        await _process.StandardInput.WriteAsync('q');
        await _process.StandardInput.FlushAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
        var text = File.Exists(_file) ? await ReadSharedAsync(_file) : "";
        File.Delete(_file);
        // Read event by event: the file may lack its closing brackets.
        double allocated = 0;
        long gen0 = 0, gen1 = 0, gen2 = 0;
        foreach (Match match in CounterEvent().Matches(text))
        {
            var value = double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
            if (match.Groups[1].Value.StartsWith("dotnet.gc.heap.total_allocated", StringComparison.Ordinal))
            {
                allocated += value;
            }
            else if (match.Groups[1].Value.StartsWith("dotnet.gc.collections", StringComparison.Ordinal))
            {
                var generation = match.Groups[2].Value;
                if (generation.Contains("gen0", StringComparison.Ordinal)) gen0 += (long)value;
                else if (generation.Contains("gen1", StringComparison.Ordinal)) gen1 += (long)value;
                else if (generation.Contains("gen2", StringComparison.Ordinal)) gen2 += (long)value;
            }
        }

        return new Allocations(allocated, gen0, gen1, gen2);
    }

    private static async Task<string> ReadSharedAsync(string file)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [GeneratedRegex("\"name\": \"([^\"]+)\",\\s*\"tags\": \"([^\"]*)\",[^}]*?\"value\": ([\\d.eE+-]+)")]
    private static partial Regex CounterEvent();
}
