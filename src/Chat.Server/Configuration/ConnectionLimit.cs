using System.Globalization;

namespace Chat.Server.Configuration;

/// <summary>How many connections the process can hold, from its open-file limit.</summary>
public static class ConnectionLimit
{
    /// <summary>
    /// Connections to leave room for everything else that needs a descriptor: the runtime's
    /// own (~200), database pools, log and data files. A twentieth of the limit, at least 512.
    /// </summary>
    public static long? FromOpenFileLimit(long? openFiles) =>
        openFiles is { } limit && limit > 0 && limit < int.MaxValue
            ? Math.Max(64, limit - Math.Max(512, limit / 20))
            : null;

    /// <summary>
    /// Shares a connection budget between plain HTTP connections (API calls, and sockets
    /// during their handshake) and upgraded WebSocket connections, which are the many.
    /// </summary>
    public static (long Plain, long Upgraded) Split(long budget)
    {
        var plain = Math.Clamp(budget / 10, 2, 1000);
        return (plain, Math.Max(1, budget - plain));
    }

    /// <summary>The soft <c>RLIMIT_NOFILE</c> from <c>/proc/self/limits</c>; null where there is none.</summary>
    public static long? ReadOpenFileLimit()
    {
        const string path = "/proc/self/limits";
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }

        return null;
    }
}
