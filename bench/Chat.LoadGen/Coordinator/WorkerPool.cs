using System.Diagnostics;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Coordinator;

/// <summary>Totals over every worker of a pool.</summary>
internal sealed record PoolStats(
    long Opened, long Joined, long Failed, long Lost, long Sent, long Acked, long SendErrors, long Delivered,
    long HeartbeatsSent, bool Opening, bool Sending, long MaxSendLagMicros, long FirstSendTicks, long LastDeliveryTicks,
    long LastAckTicks, double CpuSeconds, Dictionary<string, long> Errors)
{
    /// <summary>The presence count that every worker has been told at least (each node's members, when workers map to nodes).</summary>
    public long PresenceCountEverywhere { get; init; }

    public static PoolStats Sum(IReadOnlyList<WorkerStats> all)
    {
        var errors = new Dictionary<string, long>();
        foreach (var (reason, count) in all.SelectMany(s => s.Errors))
        {
            errors[reason] = errors.GetValueOrDefault(reason) + count;
        }

        var firstSends = all.Where(s => s.FirstSendTicks > 0).Select(s => s.FirstSendTicks).ToList();
        return new PoolStats(
            all.Sum(s => s.Opened), all.Sum(s => s.Joined), all.Sum(s => s.Failed), all.Sum(s => s.Lost),
            all.Sum(s => s.Sent), all.Sum(s => s.Acked), all.Sum(s => s.SendErrors), all.Sum(s => s.Delivered),
            all.Sum(s => s.HeartbeatsSent), all.Any(s => s.Opening), all.Any(s => s.Sending),
            all.Max(s => s.MaxSendLagMicros), firstSends.Count > 0 ? firstSends.Min() : 0,
            all.Max(s => s.LastDeliveryTicks), all.Max(s => s.LastAckTicks), all.Sum(s => s.CpuSeconds), errors)
        {
            PresenceCountEverywhere = all.Min(s => s.MaxPresenceCount),
        };
    }

    public string ErrorSummary => Errors.Count == 0
        ? ""
        : string.Join("; ", Errors.OrderByDescending(e => e.Value).Take(3).Select(e => $"{e.Value}× {e.Key}"));
}

/// <summary>
/// The load generator's processes for one measurement: sockets spread over workers of at most
/// <see cref="Options.PerWorker"/> (a process may hold 20,000 files here), each worker
/// connecting from its own loopback address.
/// </summary>
internal sealed class WorkerPool : IAsyncDisposable
{
    private static int s_nextAddress;
    private readonly List<WorkerProcess> _workers;
    private int _disposed;

    private WorkerPool(List<WorkerProcess> workers) => _workers = workers;

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    public static Task<WorkerPool> StartAsync(Options options, PeerServer server, int sockets, RoomLayout layout, bool heartbeats = true) =>
        StartAsync(options, [server], sockets, layout, heartbeats);

    /// <summary>
    /// Workers for sockets spread evenly over <paramref name="nodes"/>: worker w connects to node
    /// w mod the node count, and every node gets as many workers (so socket 0, the fan-out's
    /// sender, is on the first node).
    /// </summary>
    public static async Task<WorkerPool> StartAsync(Options options, IReadOnlyList<PeerServer> nodes, int sockets, RoomLayout layout, bool heartbeats = true)
    {
        var perNode = Math.Max(1, (sockets + options.PerWorker * nodes.Count - 1) / (options.PerWorker * nodes.Count));
        var workerCount = perNode * nodes.Count;
        var workers = new List<WorkerProcess>();
        try
        {
            for (var w = 0; w < workerCount; w++)
            {
                var first = (long)sockets * w / workerCount;
                var next = (long)sockets * (w + 1) / workerCount;
                var server = nodes[w % nodes.Count];
                workers.Add(await WorkerProcess.StartAsync(new WorkerConfig
                {
                    Worker = w,
                    Protocol = server.Protocol,
                    Host = "127.0.0.1",
                    Port = server.Port,
                    LocalAddress = NextLocalAddress(),
                    FirstSocket = first,
                    Count = (int)(next - first),
                    SigningKey = server.Launch.SigningKey,
                    Layout = layout,
                    ContentBytes = options.ContentBytes,
                    Heartbeats = heartbeats,
                    // The same connects in flight in all, however many nodes they go to.
                    Concurrency = Math.Max(1, WorkerConfig.DefaultConcurrency / nodes.Count),
                }, options.Pinning));
            }
        }
        catch
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            throw;
        }

        return new WorkerPool(workers);
    }

    /// <summary>
    /// A fresh source address for every worker of the run (127.0.1.2, 127.0.1.3, …): closed
    /// sockets linger in TIME_WAIT on the client's side, so reusing an address run after run
    /// would run out of its ports.
    /// </summary>
    private static string NextLocalAddress()
    {
        var n = Interlocked.Increment(ref s_nextAddress);
        return $"127.0.{1 + n / 250}.{2 + n % 250}";
    }

    /// <summary>Opens every socket (upgrade, handshake, joins) and waits until all have joined or failed.</summary>
    public async Task<(PoolStats Stats, TimeSpan Elapsed)> OpenAsync(Action<PoolStats> progress)
    {
        var clock = Stopwatch.StartNew();
        await AllAsync(w => w.CommandAsync("open"));
        while (true)
        {
            await Task.Delay(500);
            var stats = await StatsAsync();
            if (!stats.Opening)
            {
                return (stats, clock.Elapsed);
            }

            progress(stats);
        }
    }

    public async Task<PoolStats> StatsAsync() => PoolStats.Sum(await AllAsync(w => w.CommandAsync("stats")));

    public async Task ResetAsync() => await AllAsync(w => w.CommandAsync("reset"));

    /// <summary>The delivery and acknowledgement latencies of every worker, merged.</summary>
    public async Task<(Histogram Delivery, Histogram Ack)> HistogramsAsync()
    {
        var delivery = new Histogram();
        var ack = new Histogram();
        foreach (var h in await AllAsync(w => w.HistogramsAsync()))
        {
            delivery.Merge(Histogram.FromSparse(h.Delivery));
            ack.Merge(Histogram.FromSparse(h.Ack));
        }

        return (delivery, ack);
    }

    public Task<WorkerStats[]> AllAsync(Func<WorkerProcess, Task<WorkerStats>> command) => Task.WhenAll(_workers.Select(command));

    private Task<WorkerHistograms[]> AllAsync(Func<WorkerProcess, Task<WorkerHistograms>> command) => Task.WhenAll(_workers.Select(command));

    /// <summary>Closes every socket (all at once) and ends the workers; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Task.WhenAll(_workers.Select(w => w.DisposeAsync().AsTask()));
        }
    }
}
