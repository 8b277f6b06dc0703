using System.Globalization;

namespace Chat.LoadGen.Coordinator;

/// <summary>A process's CPU time, memory and open files, from /proc.</summary>
internal static class ProcStat
{
    private const double ClockTicks = 100;

    /// <summary>User plus system CPU seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Resident set size in bytes (VmRSS).</summary>
    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public static int OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
