using System.Diagnostics;

namespace Chat.Benchmarks;

/// <summary>
/// The floor under every durable commit on this disk: write 8 KiB and fsync, again and
/// again, on one file. No commit can be faster, so one sender at a time can never persist
/// more messages per second than 1 / (fsync time), however fast the code is. Two cases:
/// appending (the file grows, so the file system journals its size too) and overwriting
/// a preallocated file (what a reused SQLite WAL or a recycled PostgreSQL WAL segment sees).
/// </summary>
internal static class FsyncBenchmark
{
    private const int BlockSize = 8192;
    private const int Blocks = 128;

    public static void Run(BenchOptions options)
    {
        Measure(options, "append", overwrite: false);
        Measure(options, "overwrite", overwrite: true);
    }

    private static void Measure(BenchOptions options, string kind, bool overwrite)
    {
        var path = Path.Combine(options.Directory, "chat-bench-fsync-" + Guid.NewGuid().ToString("N")[..12]);
        var buffer = new byte[BlockSize];
        var latencies = new List<long>(options.Count);
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            if (overwrite)
            {
                for (var i = 0; i < Blocks; i++)
                {
                    file.Write(buffer);
                }

                file.Flush(flushToDisk: true);
            }

            for (var i = 0; i < options.Count; i++)
            {
                if (overwrite)
                {
                    file.Position = (long)(i % Blocks) * BlockSize;
                }

                buffer[0] = (byte)i;
                file.Write(buffer);
                var t0 = Stopwatch.GetTimestamp();
                file.Flush(flushToDisk: true);
                latencies.Add(Stopwatch.GetTimestamp() - t0);
            }
        }
        finally
        {
            File.Delete(path);
        }

        var p = Percentiles.Of(latencies);
        Console.WriteLine($"  fsync after an 8 KiB {kind,-9} in {options.Directory}: n={p.Count} mean={p.Mean:N2} p50={p.P50:N2} p99={p.P99:N2} max={p.Max:N2} ms => at most {1000 / p.Mean:N0} commits/s one after another");
        Tsv.Append(options, "fsync", kind, p.Count, p.Mean, p.P50, p.P99, p.Max, MachineSample.ReadLoadAverage());
    }
}
