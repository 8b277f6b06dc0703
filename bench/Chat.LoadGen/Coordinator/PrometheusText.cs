using System.Globalization;

namespace Chat.LoadGen.Coordinator;

/// <summary>Reads one counter out of a server's Prometheus text exposition.</summary>
internal static class PrometheusText
{
    /// <summary>The sum of the counter's samples over all its labels; 0 when it has none yet (a counter appears with its first increment).</summary>
    public static long Counter(string exposition, string name)
    {
        long total = 0;
        foreach (var line in exposition.Split('\n'))
        {
            // "name value [timestamp]" or "name{labels} value [timestamp]"; "name_created", "# HELP name" and the like are other series.
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not (' ' or '{'))
            {
                continue;
            }

            var labelsEnd = line[name.Length] == '{' ? line.IndexOf('}', name.Length) : name.Length - 1;
            var fields = line[(labelsEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                total += (long)value;
            }
        }

        return total;
    }
}
