using System.Diagnostics;
using System.Globalization;
using Chat.Messages;
using Chat.Persistence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Benchmarks;

/// <summary>
/// The batch store alone, without the writer's queue or any sender: one caller writes
/// batches of a fixed size back to back for a while. The time per batch is then
/// t(B) = fixed + B × per-row, and the two terms say where a group commit's time goes:
/// the fixed part is BEGIN, COMMIT and the fsync; the per-row part is the inserts.
/// </summary>
internal static class StoreBenchmark
{
    public static async Task RunAsync(BenchOptions options)
    {
        var contents = Text.Contents(4096);
        var lines = new List<string>();
        foreach (var batchSize in options.BatchSizes)
        {
            await using var database = await BenchDatabase.CreateAsync(options);
            var rooms = await database.CreateRoomsAsync(options.Rooms);
            await Seeder.SeedAsync(database.Database, rooms[0], rooms[1..], options.Existing / rooms.Length, options.Existing - (options.Existing / rooms.Length));
            await using var checkpointer = new SqliteCheckpointer(database.Database, TimeProvider.System, NullLogger<SqliteCheckpointer>.Instance);
            await using var cleaner = options.Provider == DatabaseProvider.Postgres
                ? new PostgresSearchIndexCleaner(database.Database, TimeProvider.System, NullLogger<PostgresSearchIndexCleaner>.Instance)
                : null;
            await using IMessageBatchStore store = options.Provider == DatabaseProvider.Sqlite
                ? new SqliteMessageBatchStore(database.Database, checkpointer)
                : new PostgresMessageBatchStore(database.Database, cleaner!);
            var authors = Enumerable.Range(1, options.Authors).Select(i => new ChatUser(i, "user" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
            long sequence = 0;
            IReadOnlyList<PendingMessage> NextBatch()
            {
                var batch = new PendingMessage[batchSize];
                for (var i = 0; i < batchSize; i++, sequence++)
                {
                    var author = authors[sequence % authors.Length];
                    var room = rooms[author.Id % rooms.Length];
                    batch[i] = new PendingMessage(room, author,
                        contents[sequence % contents.Length], "c" + sequence.ToString(CultureInfo.InvariantCulture), null);
                }

                return batch;
            }

            async Task<(long Rows, long Batches, double Seconds, MachineUse Use, List<long> Latencies)> WriteFor(double seconds)
            {
                var latencies = new List<long>();
                var machine = MachineSample.Start(database.Postmaster);
                var started = Stopwatch.GetTimestamp();
                long rows = 0, batches = 0;
                while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
                {
                    var batch = NextBatch();
                    var now = Clock.TruncateToMilliseconds(DateTime.UtcNow);
                    var t0 = Stopwatch.GetTimestamp();
                    using var deadline = new AnswerDeadline(TimeSpan.FromMinutes(1), TimeProvider.System);
                    await store.WriteAsync(batch, now, deadline);
                    latencies.Add(Stopwatch.GetTimestamp() - t0);
                    rows += batch.Count;
                    batches++;
                }

                return (rows, batches, Stopwatch.GetElapsedTime(started).TotalSeconds, machine.Stop(), latencies);
            }

            await WriteFor(options.WarmupSeconds);
            var (rowCount, batchCount, elapsed, use, times) = await WriteFor(options.DurationSeconds);
            var p = Percentiles.Of(times);
            var cpuPerRow = use.ProcessCores * elapsed / rowCount * 1e6;
            Console.WriteLine(
                $"  {options.ProviderName,-8} store batch={batchSize,5}: {rowCount / elapsed,9:N0} rows/s  {batchCount / elapsed,7:N0} tx/s  " +
                $"ms/batch mean={p.Mean:N2} p50={p.P50:N2} p99={p.P99:N2}  bench CPU {cpuPerRow:N1} µs/row ({use.ProcessCores:N2} cores)" +
                (database.Postmaster is null ? "" : $"  server CPU {use.ServerCores * elapsed / rowCount * 1e6:N1} µs/row ({use.ServerCores:N2} cores)") + "  " +
                $"alloc={use.AllocatedBytes / (double)rowCount:N0} B/row  io written={use.IoWrittenBytes / (double)rowCount:N0} B/row in {use.WriteCalls / (double)rowCount:N1} calls, read={use.IoReadBytes / (double)rowCount:N0} B/row in {use.ReadCalls / (double)rowCount:N1} calls  machine busy={use.MachineBusy:P0} load={use.LoadAverage}");
            Tsv.Append(options, "store", options.ProviderName, batchSize, rowCount / elapsed, batchCount / elapsed, p.Mean, p.P50, p.P99, cpuPerRow,
                use.AllocatedBytes / (double)rowCount, use.MachineBusy, use.LoadAverage);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {options.ProviderName} | {batchSize} | {rowCount / elapsed:N0} | {batchCount / elapsed:N0} | {p.P50:N2} | {p.Mean:N2} | {cpuPerRow:N1} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| provider | batch | rows/s | tx/s | ms/batch p50 | ms/batch mean | bench CPU µs/row |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
    }
}
