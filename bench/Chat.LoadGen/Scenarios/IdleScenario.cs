using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Report;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Scenarios;

/// <summary>
/// Idle connections: N sockets joined to 100 rooms of N/100 (or one room, or none), keeping themselves alive as each
/// peer's client library does by default (Phoenix heartbeats every 30 s, SignalR pings every
/// 15 s, Socket.IO answering the server's pings every 25 s). On a fresh server each time:
/// warm up with a thousand sockets, wait until the server is at rest (<see cref="ServerAtRest"/>),
/// force a full GC and take the baseline RSS, open N,
/// settle, measure the server's CPU over a window, force a full GC again and take RSS.
/// Per socket = (RSS with N − baseline) / N, and the same for the live heap, type by type.
/// Then every socket closes at once, and RSS is read again after the settle time.
/// </summary>
internal static class IdleScenario
{
    private const int TopTypes = 12;

    private const int WarmUpSockets = 1_000;

    public static async Task RunAsync(BenchRun run)
    {
        foreach (var count in run.Options.IdleCounts)
        {
            foreach (var peer in run.Options.Peers)
            {
                var result = new IdleRun { Peer = peer, Sockets = count };
                try
                {
                    result = await MeasureAsync(run, peer, count);
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    result.Error = error.Message;
                    run.Print($"idle {peer} N={count}: FAILED: {error.Message}");
                }

                run.Results.Idle.Add(result);
            }
        }
    }

    private static async Task<IdleRun> MeasureAsync(BenchRun run, string peer, int count)
    {
        var options = run.Options;
        // The quick mode does without a forced GC: it needs dotnet-gcdump, which the smoke test does not install.
        var forceGc = !options.Quick;
        await using var server = await run.StartPeerAsync(peer, peer == "ours" ? Store.Sqlite : Store.None, exposeGc: forceGc, sockets: count);
        var layout = new RoomLayout { Rooms = Math.Max(1, options.IdleRooms), RoomsPerSocket = options.IdleRooms == 0 ? 0 : 1, Prefix = "idle" };
        await server.PrepareRoomsAsync(layout);

        // Warm-up: JIT, thread pool, buffer pools; start-up cost, not per-connection cost. A
        // thousand sockets, because that many closing is what ours takes as a spell worth giving
        // memory back after (Chat:Memory:ReclaimAfterClosedSockets): the baseline is then the
        // server after its reclaim, as the reading after the measured sockets close is.
        var reclaimsBefore = options.Quick ? null : await server.MemoryReclaimsAsync();
        await using (var warm = await WorkerPool.StartAsync(options, server, Math.Min(options.Quick ? 50 : WarmUpSockets, count), layout))
        {
            await warm.OpenAsync(_ => { });
        }

        var warmedUp = server.Rss();
        RestReading? rest = null;
        if (options.Quick)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Settle));
        }
        else
        {
            rest = await ServerAtRest.WaitAsync(server, reclaimsBefore);
            run.Print($"idle {peer} N={count}: at rest {rest.Seconds:0} s after the warm-up closed ({(rest.Reclaims is { } reclaims ? $"{reclaims} reclaim(s), " : "")}RSS {(rest.Settled ? "still" : "not settled")}): {warmedUp / 1048576.0:0} → {server.Rss() / 1048576.0:0} MiB");
        }

        var baselineHeap = forceGc ? await server.ForceGcAsync() : null;
        var baseline = await MedianRssAsync(server);
        var files = ProcStat.OpenFiles(server.Pid);
        var counters = forceGc && peer != "socketio" ? await DotnetCounters.StartAsync(options, server.Pid) : null;
        await using var pool = await WorkerPool.StartAsync(options, server, count, layout);
        var (opened, elapsed) = await pool.OpenAsync(s => run.Print($"idle {peer} N={count}: {s.Joined:N0} joined"));
        var allocations = counters is null ? null : await counters.StopAsync();
        run.Print($"idle {peer} N={count}: {opened.Joined:N0} of {count:N0} joined in {elapsed.TotalSeconds:0.0} s{(opened.Failed > 0 ? $"; {opened.Failed} failed: {opened.ErrorSummary}" : "")}");
        await Task.Delay(TimeSpan.FromSeconds(options.Settle));

        // Idle CPU first: a forced GC would count in it.
        var heartbeats = (await pool.StatsAsync()).HeartbeatsSent;
        var cpu = server.CpuSeconds();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleCpuSeconds));
        var idleCpu = 100 * (server.CpuSeconds() - cpu) / clock.Elapsed.TotalSeconds;
        var during = await pool.StatsAsync();
        var loadedHeap = forceGc ? await server.ForceGcAsync() : null;
        var loaded = await MedianRssAsync(server);
        var after = await pool.StatsAsync();
        await pool.DisposeAsync(); // every socket closes at once
        await Task.Delay(TimeSpan.FromSeconds(options.Settle));
        var afterClose = await MedianRssAsync(server);
        var result = new IdleRun
        {
            Peer = peer,
            Sockets = count,
            Joined = opened.Joined,
            OpenSeconds = elapsed.TotalSeconds,
            BaselineRssBytes = baseline,
            WarmedUpRssBytes = warmedUp,
            RestSeconds = rest?.Seconds,
            RestReclaims = rest?.Reclaims,
            LoadedRssBytes = loaded,
            RssPerSocketBytes = (loaded - baseline) / (double)count,
            IdleCpuPercent = idleCpu,
            HeartbeatsSent = during.HeartbeatsSent - heartbeats,
            ServerOpenFiles = ProcStat.OpenFiles(server.Pid) - files,
            Lost = after.Lost,
            ForcedGc = forceGc,
            AfterCloseRssBytes = afterClose,
            Rooms = options.IdleRooms,
            AllocatedPerSocketBytes = allocations?.Bytes / count,
            Gen2WhileOpening = allocations?.Gen2,
            LiveHeapPerSocketBytes = baselineHeap is not null && loadedHeap is not null ? (loadedHeap.TotalBytes - baselineHeap.TotalBytes) / (double)count : null,
            HeapTypes = baselineHeap is not null && loadedHeap is { Types.Count: > 0 } ? PerSocket(baselineHeap, loadedHeap, count) : null,
            Errors = after.ErrorSummary,
        };
        if (opened.Joined != count || after.Lost > 0)
        {
            result.Error = $"{opened.Joined} of {count} joined, {after.Lost} lost: {after.ErrorSummary}";
        }

        run.Print($"idle {peer} N={count}: RSS {baseline / 1048576.0:0} → {loaded / 1048576.0:0} MiB{(forceGc ? " (after forced GCs)" : "")}: {result.RssPerSocketBytes / 1024:0.0} KiB per socket; idle CPU {idleCpu:0.0} % of a core; {afterClose / 1048576.0:0} MiB {options.Settle:0} s after they all closed ({afterClose / (double)baseline:0.00}× the baseline)");
        return result;
    }

    /// <summary>The types whose live bytes grew most with the sockets, per socket.</summary>
    private static List<TypeCost> PerSocket(HeapSnapshot baseline, HeapSnapshot loaded, int count) =>
        loaded.Types
            .Select(t => (t.Key, Grown: (Bytes: t.Value.Bytes - baseline.Types.GetValueOrDefault(t.Key).Bytes, Count: t.Value.Count - baseline.Types.GetValueOrDefault(t.Key).Count)))
            .Where(t => t.Grown.Bytes > 0)
            .OrderByDescending(t => t.Grown.Bytes)
            .Take(TopTypes)
            .Select(t => new TypeCost(t.Key, t.Grown.Bytes / (double)count, t.Grown.Count / (double)count))
            .ToList();

    private static async Task<long> MedianRssAsync(PeerServer server)
    {
        var samples = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                await Task.Delay(500);
            }

            samples.Add(server.Rss());
        }

        samples.Sort();
        return samples[1];
    }
}
