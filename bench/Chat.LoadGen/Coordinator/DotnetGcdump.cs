using System.Globalization;
using System.Text.RegularExpressions;

namespace Chat.LoadGen.Coordinator;

/// <summary>The live managed heap after a full GC: its size, and bytes and objects per type.</summary>
internal sealed record HeapSnapshot(long TotalBytes, Dictionary<string, (long Bytes, long Count)> Types);

/// <summary>
/// <c>dotnet-gcdump collect</c> forces a full blocking GC before it walks the heap: the way to
/// collect a .NET server from outside. Its report then says what the live heap holds, type by
/// type, which is where the bytes of an idle socket go.
/// </summary>
internal static partial class DotnetGcdump
{
    public static async Task<HeapSnapshot?> CollectAsync(Options options, int pid)
    {
        var tool = Path.Combine(options.ToolsDir, "dotnet-gcdump");
        if (!File.Exists(tool))
        {
            throw new FileNotFoundException($"{tool} is missing: bench/run.sh installs it (dotnet tool install dotnet-gcdump --tool-path bench/.tools)");
        }

        var file = Path.Combine(Path.GetTempPath(), $"bench-{pid}-{Guid.NewGuid():N}.gcdump");
        try
        {
            await PeerServerTools.RunAsync(tool, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", file], TimeSpan.FromMinutes(3));
            return Parse(await PeerServerTools.RunAsync(tool, ["report", file], TimeSpan.FromMinutes(3)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Reads the report: "N GC Heap bytes", then one line per type: bytes of one object, count, type.</summary>
    internal static HeapSnapshot? Parse(string report)
    {
        var total = TotalLine().Match(report);
        if (!total.Success)
        {
            return null;
        }

        var types = new Dictionary<string, (long Bytes, long Count)>();
        foreach (var line in report.Split('\n'))
        {
            var match = TypeLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var type = Suffixes().Replace(match.Groups[3].Value, "");
            var count = Number(match.Groups[2].Value);
            var bytes = Number(match.Groups[1].Value) * count;
            var seen = types.GetValueOrDefault(type);
            types[type] = (seen.Bytes + bytes, seen.Count + count);
        }

        return new HeapSnapshot(Number(total.Groups[1].Value), types);
    }

    private static long Number(string digits) => long.Parse(digits.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"([\d,]+)\s+GC Heap bytes")]
    private static partial Regex TotalLine();

    [GeneratedRegex(@"^\s*([\d,]+)\s+([\d,]+)\s+(.+?)\s*$")]
    private static partial Regex TypeLine();

    /// <summary>" (Bytes > 10K)" and " [module]" tails, so that one type is one key.</summary>
    [GeneratedRegex(@"\s+\(Bytes > \d+K\)|\s+\[[^\]]+\]$")]
    private static partial Regex Suffixes();
}
