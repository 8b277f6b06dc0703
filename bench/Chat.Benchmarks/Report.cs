using System.Globalization;

namespace Chat.Benchmarks;

/// <summary>
/// Reads the --tsv lines of a whole run and prints the tables of docs/benchmarks.md: group
/// commit against the naive way at each concurrency, and history read percentiles, each
/// with the targets the team set.
/// </summary>
internal static class Report
{
    private const double SqliteTarget = 50_000;
    private const double PostgresTarget = 30_000;
    private const double SpeedupTarget = 10;
    private const double HistoryP99TargetMs = 2;

    public static void Run(BenchOptions options)
    {
        var rows = File.ReadAllLines(options.TsvPath ?? throw new ArgumentException("report needs --tsv <file>"))
            .Select(line => line.Split('\t')).ToArray();
        static double D(string value) => double.Parse(value, CultureInfo.InvariantCulture);

        var fsync = rows.Where(r => r[0] == "fsync").ToArray();
        if (fsync.Length > 0)
        {
            Console.WriteLine("Disk: " + string.Join("; ", fsync.Select(r => $"fsync after an 8 KiB {r[1]}: mean {D(r[3]):N2} ms, p50 {D(r[4]):N2} ms, p99 {D(r[5]):N2} ms")));
            Console.WriteLine();
        }

        var persist = rows.Where(r => r[0] == "persist")
            .Select(r => new
            {
                Provider = r[1], Mode = r[2], Senders = int.Parse(r[3], CultureInfo.InvariantCulture), PerSecond = D(r[5]), Tx = D(r[6]),
                Batch = D(r[7]), P50 = D(r[8]), P99 = D(r[9]), Errors = long.Parse(r[11], CultureInfo.InvariantCulture), Load = r[17],
            })
            .ToArray();
        if (persist.Length > 0)
        {
            Console.WriteLine("Messages persisted per second: median (best) of the runs; tx/s, batch and latency are the median run's.");
            Console.WriteLine();
            Console.WriteLine("| provider | senders | group commit msg/s | tx/s | mean batch | p50 / p99 ms | naive msg/s | naive p50 / p99 ms | group ÷ naive | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var point in persist.GroupBy(p => (p.Provider, p.Senders)).OrderBy(g => g.Key.Provider).ThenBy(g => g.Key.Senders))
            {
                var group = point.Where(p => p.Mode == "group").OrderBy(p => p.PerSecond).ToArray();
                var naive = point.Where(p => p.Mode == "naive").OrderBy(p => p.PerSecond).ToArray();
                var g = group.Length > 0 ? group[group.Length / 2] : null;
                var n = naive.Length > 0 ? naive[naive.Length / 2] : null;
                var errors = point.Sum(p => p.Errors);
                Console.WriteLine(
                    $"| {point.Key.Provider} | {point.Key.Senders} | " +
                    (g is null ? "– | – | – | – | " : $"{g.PerSecond:N0} ({group[^1].PerSecond:N0}) | {g.Tx:N0} | {g.Batch:N1} | {g.P50:N2} / {g.P99:N2} | ") +
                    (n is null ? "– | – | " : $"{n.PerSecond:N0} ({naive[^1].PerSecond:N0}) | {n.P50:N2} / {n.P99:N2} | ") +
                    (g is not null && n is not null ? $"{g.PerSecond / n.PerSecond:N1}× | " : "– | ") + $"{errors} |");
            }

            Console.WriteLine();
            foreach (var provider in persist.Select(p => p.Provider).Distinct())
            {
                var target = provider == "sqlite" ? SqliteTarget : PostgresTarget;
                var best = persist.Where(p => p.Provider == provider && p.Mode == "group").OrderByDescending(p => p.PerSecond).FirstOrDefault();
                if (best is not null)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"Target {provider} ≥ {target:N0} msg/s with group commit: best {best.PerSecond:N0} at {best.Senders} senders: {(best.PerSecond >= target ? "MET" : "MISSED")}"));
                }
            }
        }

        var history = rows.Where(r => r[0] == "history")
            .Select(r => new { Provider = r[1], Kind = r[2], P50 = D(r[6]), P99 = D(r[8]), P999 = D(r[9]), Max = D(r[10]), Load = r[12] })
            .ToArray();
        if (history.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("History reads of 50 messages, one at a time: the round with the median p99 (the p99 of every round in brackets).");
            Console.WriteLine();
            Console.WriteLine("| provider | page | p50 ms | p99 ms | p99.9 ms | max ms | every round's p99 | p99 < 2 ms |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---|---|");
            foreach (var kind in history.GroupBy(h => (h.Provider, h.Kind)))
            {
                var rounds = kind.OrderBy(h => h.P99).ToArray();
                var m = rounds[rounds.Length / 2];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind.Key.Provider} | {kind.Key.Kind} | {m.P50:N3} | {m.P99:N3} | {m.P999:N3} | {m.Max:N3} | {string.Join(", ", kind.Select(h => h.P99.ToString("N2", CultureInfo.InvariantCulture)))} | {(kind.Key.Kind.StartsWith("control", StringComparison.Ordinal) ? "(control)" : m.P99 < HistoryP99TargetMs ? "met" : "missed")} |"));
            }
        }
    }
}
