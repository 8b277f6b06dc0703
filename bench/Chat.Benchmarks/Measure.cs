using System.Diagnostics;
using System.Globalization;

namespace Chat.Benchmarks;

/// <summary>Percentiles of a set of latencies, in milliseconds (nearest rank).</summary>
internal sealed record Percentiles(int Count, double Mean, double P50, double P90, double P99, double P999, double Max)
{
    public static Percentiles Of(List<long> stopwatchTicks)
    {
        if (stopwatchTicks.Count == 0)
        {
            return new Percentiles(0, 0, 0, 0, 0, 0, 0);
        }

        var ms = stopwatchTicks.Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(ms);
        double At(double p) => ms[Math.Clamp((int)Math.Ceiling(p * ms.Length) - 1, 0, ms.Length - 1)];
        return new Percentiles(ms.Length, ms.Average(), At(0.50), At(0.90), At(0.99), At(0.999), ms[^1]);
    }
}

/// <summary>
/// What the machine and this process did during a measured window: the CPU this process
/// used (in cores), the CPU the whole machine used (so another agent's build shows up), the
/// load average, and what the process allocated.
/// </summary>
internal sealed class MachineSample
{
    private readonly TimeSpan _processCpu;
    private readonly (long Busy, long Total) _machine;
    private readonly long _allocated;
    private readonly int _gen0;
    private readonly int _gen2;
    private readonly (long Read, long Written, long ReadCalls, long WriteCalls) _io;
    private readonly int? _postmaster;
    private readonly double _serverCpu;
    private readonly long _started;

    private MachineSample(int? postmaster)
    {
        _postmaster = postmaster;
        _serverCpu = ServerCpuSeconds(postmaster);
        _processCpu = Process.GetCurrentProcess().TotalProcessorTime;
        _machine = ReadProcStat();
        _allocated = GC.GetTotalAllocatedBytes(precise: false);
        _gen0 = GC.CollectionCount(0);
        _gen2 = GC.CollectionCount(2);
        _io = ReadProcessIo();
        _started = Stopwatch.GetTimestamp();
    }

    /// <param name="postmaster">The PostgreSQL server's process id, to measure its CPU too; null for SQLite.</param>
    public static MachineSample Start(int? postmaster = null) => new(postmaster);

    public MachineUse Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var machine = ReadProcStat();
        var busy = machine.Total - _machine.Total is > 0 and var total ? (double)(machine.Busy - _machine.Busy) / total : 0;
        return new MachineUse(
            ProcessCores: (Process.GetCurrentProcess().TotalProcessorTime - _processCpu).TotalSeconds / seconds,
            MachineBusy: busy,
            LoadAverage: ReadLoadAverage(),
            AllocatedBytes: GC.GetTotalAllocatedBytes(precise: false) - _allocated,
            Gen0: GC.CollectionCount(0) - _gen0,
            Gen2: GC.CollectionCount(2) - _gen2,
            IoReadBytes: ReadProcessIo().Read - _io.Read,
            IoWrittenBytes: ReadProcessIo().Written - _io.Written,
            ReadCalls: ReadProcessIo().ReadCalls - _io.ReadCalls,
            WriteCalls: ReadProcessIo().WriteCalls - _io.WriteCalls,
            ServerCores: _postmaster is null ? 0 : (ServerCpuSeconds(_postmaster) - _serverCpu) / seconds);
    }

    /// <summary>CPU seconds used so far by a PostgreSQL server: the postmaster and every process it forked that is still alive.</summary>
    private static double ServerCpuSeconds(int? postmaster)
    {
        if (postmaster is not { } root)
        {
            return 0;
        }

        long ticks = 0;
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                // pid (comm) state ppid … utime(14) stime(15): split after the ")" because comm may hold spaces.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (pid == root || int.Parse(fields[1], CultureInfo.InvariantCulture) == root)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }

        return ticks / 100.0; // USER_HZ
    }

    /// <summary>
    /// Bytes this process passed to read and write system calls, and how many calls (rchar,
    /// wchar, syscr, syscw): SQLite's page reads and WAL writes.
    /// </summary>
    private static (long Read, long Written, long ReadCalls, long WriteCalls) ReadProcessIo()
    {
        try
        {
            long read = 0, written = 0, readCalls = 0, writeCalls = 0;
            foreach (var line in File.ReadLines("/proc/self/io"))
            {
                if (line.StartsWith("rchar:", StringComparison.Ordinal))
                {
                    read = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("wchar:", StringComparison.Ordinal))
                {
                    written = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("syscr:", StringComparison.Ordinal))
                {
                    readCalls = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("syscw:", StringComparison.Ordinal))
                {
                    writeCalls = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
                }
            }

            return (read, written, readCalls, writeCalls);
        }
        catch (IOException)
        {
            return (0, 0, 0, 0);
        }
    }

    /// <summary>(busy, total) jiffies of all CPUs; zeros where /proc is missing.</summary>
    private static (long Busy, long Total) ReadProcStat()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var idle = fields[3] + fields[4]; // idle + iowait
            var total = fields.Take(8).Sum();
            return (total - idle, total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    public static string ReadLoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

internal sealed record MachineUse(
    double ProcessCores, double MachineBusy, string LoadAverage, long AllocatedBytes, int Gen0, int Gen2, long IoReadBytes, long IoWrittenBytes,
    long ReadCalls, long WriteCalls, double ServerCores);

/// <summary>One line per result, tab-separated, appended to --tsv for the script's table.</summary>
internal static class Tsv
{
    public static void Append(BenchOptions options, params object[] fields)
    {
        if (options.TsvPath is null)
        {
            return;
        }

        var line = string.Join('\t', fields.Select(f => f switch
        {
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => f.ToString(),
        }));
        File.AppendAllText(options.TsvPath, line + "\n");
    }
}

internal static class Text
{
    private static readonly string[] Words =
    [
        "hello", "there", "the", "deploy", "went", "fine", "but", "latency", "looks", "higher", "than",
        "yesterday", "can", "someone", "check", "dashboard", "lunch", "at", "noon", "anyone", "coffee",
        "meeting", "moved", "to", "three", "pm", "thanks", "sure", "I", "will", "look", "into", "it",
        "after", "standup", "build", "is", "green", "again", "merged", "the", "fix", "for", "reconnects",
        "please", "review", "my", "pull", "request", "when", "you", "have", "a", "minute", "ok",
    ];

    /// <summary>Chat-like lines of about 100 characters, made once so making them costs nothing in the loop.</summary>
    public static string[] Contents(int count, int seed = 42)
    {
        var random = new Random(seed);
        var lines = new string[count];
        var builder = new System.Text.StringBuilder(128);
        for (var i = 0; i < count; i++)
        {
            builder.Clear();
            var target = random.Next(80, 121);
            while (builder.Length < target)
            {
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(Words[random.Next(Words.Length)]);
            }

            lines[i] = builder.ToString();
        }

        return lines;
    }
}
