using System.Diagnostics;
using System.Globalization;
using Chat.Messages;

namespace Chat.Benchmarks;

/// <summary>
/// Messages persisted per second with N concurrent senders, each in a loop of one send at
/// a time: "group" goes through <see cref="MessageService.CreateAsync"/> and the
/// group-commit writer; "naive" does what an EF Core app does by default, one pooled
/// context and one <c>SaveChangesAsync</c> (one transaction, one fsync) per message.
/// </summary>
/// <remarks>
/// <para>With <c>--refused-every N</c>, every Nth send of each group sender holds a NUL, which
/// the chat must refuse with a field error before it reaches the writer (issue 12, fault test
/// 4): run beside a clean stream, the stored messages per second show whether a refused
/// message slows the others down. Refused sends are counted apart; only stored ones make the
/// rate.</para>
/// Each point gets a fresh database, then a warm-up, then a measured window. Only sends
/// that complete inside the window count, and only their latencies are recorded; batches
/// are read from <see cref="MessageWriter.BatchesCommitted"/> at both ends of the window.
/// </remarks>
internal static class PersistBenchmark
{
    private const int Warming = 0;
    private const int Measuring = 1;
    private const int Stopping = 2;

    public static async Task RunAsync(BenchOptions options)
    {
        var modes = options.Mode == "both" ? new[] { "group", "naive" } : [options.Mode];
        var contents = Text.Contents(4096);
        var summary = new List<string>();
        foreach (var mode in modes)
        {
            foreach (var senders in options.Senders)
            {
                // A stream with refusals is its own row, never mixed with the clean ones.
                var label = options.RefusedEvery > 0 && mode == "group" ? $"group-refused-1-in-{options.RefusedEvery}" : mode;
                var runs = new List<PersistResult>();
                for (var run = 1; run <= options.Repeat; run++)
                {
                    var result = await RunPointAsync(options, mode, senders, contents);
                    runs.Add(result);
                    Console.WriteLine(
                        $"  {options.ProviderName,-8} {mode,-5} senders={senders,4} ids={options.ClientIds.ToString().ToLowerInvariant()} run {run}: {result.PerSecond,9:N0} msg/s  " +
                        (options.RefusedEvery > 0 ? $"refused={result.Refused:N0} (1 in {options.RefusedEvery}) " : "") +
                        $"batches/s={result.BatchesPerSecond,7:N0} mean batch={result.MeanBatch,6:N1}  " +
                        $"p50={result.Latency.P50,7:N2} ms p99={result.Latency.P99,8:N2} ms  errors={result.Errors}  " +
                        $"cpu: bench={result.Machine.ProcessCores:N2} cores ({result.Machine.ProcessCores * result.Seconds / Math.Max(1.0, result.Messages) * 1e6:N1} µs/msg)" +
                        (result.Machine.ServerCores > 0 ? $" server={result.Machine.ServerCores:N2} cores ({result.Machine.ServerCores * result.Seconds / Math.Max(1.0, result.Messages) * 1e6:N1} µs/msg)" : "") +
                        $" machine busy={result.Machine.MachineBusy:P0} " +
                        $"load={result.Machine.LoadAverage} alloc={result.Machine.AllocatedBytes / Math.Max(1.0, result.Messages) / 1024:N1} KiB/msg " +
                        $"gen0={result.Machine.Gen0} gen2={result.Machine.Gen2} io written={result.Machine.IoWrittenBytes / Math.Max(1.0, result.Messages):N0} B/msg ({result.Machine.WriteCalls / Math.Max(1.0, result.Messages):N1} calls) read={result.Machine.IoReadBytes / Math.Max(1.0, result.Messages):N0} B/msg ({result.Machine.ReadCalls / Math.Max(1.0, result.Messages):N1} calls)" +
                        (result.FirstError is { } error ? $"  first error: {error}" : ""));
                    Tsv.Append(options, "persist", options.ProviderName, label, senders, run, result.PerSecond, result.BatchesPerSecond,
                        result.MeanBatch, result.Latency.P50, result.Latency.P99, result.Latency.Max, result.Errors, result.Messages, result.Seconds,
                        result.Machine.ProcessCores, result.Machine.MachineBusy, result.Machine.AllocatedBytes / Math.Max(1.0, result.Messages),
                        result.Machine.LoadAverage, result.Machine.ServerCores);
                }

                var sorted = runs.OrderBy(r => r.PerSecond).ToArray();
                var median = sorted[sorted.Length / 2];
                summary.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {options.ProviderName} | {label} | {senders} | {sorted[^1].PerSecond:N0} | {median.PerSecond:N0} | {median.BatchesPerSecond:N0} | {median.MeanBatch:N1} | {median.Latency.P50:N2} | {median.Latency.P99:N2} | {runs.Sum(r => r.Errors)} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| provider | mode | senders | msg/s best | msg/s median | tx/s | mean batch | p50 ms | p99 ms | errors |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var line in summary)
        {
            Console.WriteLine(line);
        }
    }

    private static async Task<PersistResult> RunPointAsync(BenchOptions options, string mode, int senders, string[] contents)
    {
        await using var database = await BenchDatabase.CreateAsync(options);
        var rooms = await database.CreateRoomsAsync(options.Rooms);
        await Seeder.SeedAsync(database.Database, rooms[0], rooms[1..], options.Existing / rooms.Length, options.Existing - (options.Existing / rooms.Length));
        var control = new Control();
        var perSender = new SenderStats[senders];
        var tasks = new Task[senders];
        for (var i = 0; i < senders; i++)
        {
            var stats = perSender[i] = new SenderStats();
            var index = i;
            tasks[i] = mode == "group"
                ? Task.Run(() => GroupSenderAsync(database.Messages, rooms, index, contents, options.ClientIds, options.RefusedEvery, control, stats))
                : Task.Run(() => NaiveSenderAsync(database, rooms, index, contents, options.ClientIds, control, stats));
        }

        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));
        var batchesBefore = database.Writer.BatchesCommitted;
        var machine = MachineSample.Start(database.Postmaster);
        var started = Stopwatch.GetTimestamp();
        control.Phase = Measuring;
        await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds));
        control.Phase = Stopping;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var batches = database.Writer.BatchesCommitted - batchesBefore;
        var use = machine.Stop();
        await Task.WhenAll(tasks);

        var messages = perSender.Sum(s => s.Messages);
        var latencies = new List<long>(checked((int)messages));
        foreach (var stats in perSender)
        {
            latencies.AddRange(stats.Latencies);
        }

        return new PersistResult(
            messages, seconds, messages / seconds,
            mode == "group" ? batches / seconds : messages / seconds,
            mode == "group" ? messages / (double)Math.Max(1, batches) : 1,
            Percentiles.Of(latencies), perSender.Sum(s => s.Errors), perSender.Sum(s => s.Refused),
            perSender.Select(s => s.FirstError).FirstOrDefault(e => e is not null), use);
    }

    private static async Task GroupSenderAsync(
        MessageService chat, RoomView[] rooms, int index, string[] contents, ClientIdStyle clientIdStyle, int refusedEvery, Control control, SenderStats stats)
    {
        var room = rooms[index % rooms.Length];
        var author = new ChatUser(index + 1, "user" + (index + 1).ToString(CultureInfo.InvariantCulture));
        for (var seq = 0L; control.Phase != Stopping; seq++)
        {
            // Senders refuse at different points of their loops, so refusals spread over batches.
            var refuse = refusedEvery > 0 && (seq + index) % refusedEvery == 0;
            var content = refuse ? "a NUL \0 in the middle" : contents[(int)((index * 7919L + seq) % contents.Length)];
            var clientId = ClientIds.Next(clientIdStyle, index, seq);
            var t0 = Stopwatch.GetTimestamp();
            var result = await chat.CreateAsync(room, author, content, clientId).ConfigureAwait(false);
            var elapsed = Stopwatch.GetTimestamp() - t0;
            if (control.Phase == Measuring && refuse)
            {
                if (result.Errors?.ByField.ContainsKey("content") == true)
                {
                    stats.Refuse();
                }
                else
                {
                    stats.Fail("a NUL was not refused with a field error: " + (result.Failure ?? "stored"));
                }
            }
            else if (control.Phase == Measuring)
            {
                if (result.IsOk && result.Value!.Created)
                {
                    stats.Record(elapsed);
                }
                else
                {
                    stats.Fail(result.Failure ?? result.Errors?.ToString() ?? "not created");
                }
            }
        }
    }

    private static async Task NaiveSenderAsync(BenchDatabase database, RoomView[] rooms, int index, string[] contents, ClientIdStyle clientIdStyle, Control control, SenderStats stats)
    {
        var contexts = database.Contexts;
        var room = rooms[index % rooms.Length];
        var username = "user" + (index + 1).ToString(CultureInfo.InvariantCulture);
        for (var seq = 0L; control.Phase != Stopping; seq++)
        {
            var content = contents[(int)((index * 7919L + seq) % contents.Length)];
            var clientId = ClientIds.Next(clientIdStyle, index, seq);
            var t0 = Stopwatch.GetTimestamp();
            string? error = null;
            try
            {
                await using var db = await contexts.CreateDbContextAsync().ConfigureAwait(false);
                var now = Clock.TruncateToMilliseconds(DateTime.UtcNow);
                db.Messages.Add(new Message
                {
                    Content = content,
                    UserId = index + 1,
                    Username = username,
                    RoomId = room.Id,
                    ClientId = clientId,
                    InsertedAt = now,
                    UpdatedAt = now,
                });
                await db.SaveChangesAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed send is counted, not fatal.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex.GetBaseException().Message;
            }

            var elapsed = Stopwatch.GetTimestamp() - t0;
            if (control.Phase == Measuring)
            {
                if (error is null)
                {
                    stats.Record(elapsed);
                }
                else
                {
                    stats.Fail(error);
                }
            }
        }
    }

    private sealed class Control
    {
        private volatile int _phase = Warming;

        public int Phase
        {
            get => _phase;
            set => _phase = value;
        }
    }

    /// <summary>One sender's counts; only its own task writes them, so no locks.</summary>
    private sealed class SenderStats
    {
        public List<long> Latencies { get; } = new(1024);

        public long Messages => Latencies.Count;

        public long Errors { get; private set; }

        public long Refused { get; private set; }

        public void Refuse() => Refused++;

        public string? FirstError { get; private set; }

        public void Record(long elapsedTicks) => Latencies.Add(elapsedTicks);

        public void Fail(string error)
        {
            Errors++;
            FirstError ??= error;
        }
    }

    private sealed record PersistResult(
        long Messages, double Seconds, double PerSecond, double BatchesPerSecond, double MeanBatch,
        Percentiles Latency, long Errors, long Refused, string? FirstError, MachineUse Machine);
}
