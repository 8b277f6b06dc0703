using System.Diagnostics;
using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Report;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Scenarios;

/// <summary>
/// Fan-out: N members in one room, plus one sender in it, on an open loop at a rising rate.
/// Every member (the sender too: each peer's broadcast includes the sender) times every
/// message from the sender's stamp. Per step: delivered fraction, deliveries/s, latency; a
/// ladder stops at the first step that saturates: less than 99 % delivered within the wait, a
/// lost socket, or p99 past the bound. With <c>--nodes 1,2</c>, ours also runs as several nodes
/// on PostgreSQL and Redis, the members spread evenly over them and the sender on the first,
/// against one node on PostgreSQL; the time the room took to fill (every join answered, and
/// every node's members told the full <c>presence_count</c>) is kept with each run.
/// </summary>
internal static class FanoutScenario
{
    /// <summary>The server's default <c>Chat:Channels:PresenceListLimit</c>: above it, members get <c>presence_count</c>.</summary>
    private const int PresenceListLimit = 100;

    public static async Task RunAsync(BenchRun run)
    {
        var options = run.Options;
        foreach (var members in options.Members)
        {
            // Peers take turns at each N, so that the ratios of one N come from one stretch of time.
            foreach (var (peer, nodes) in Variants(options))
            {
                var result = new FanoutRun { Peer = Label(peer, nodes), Members = members, Nodes = nodes };
                run.Results.Fanout.Add(result);
                try
                {
                    await RunLadderAsync(run, peer, nodes, members, result);
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    result.Error = error.Message;
                    run.Print($"fanout {result.Peer} N={members}: FAILED: {error.Message}");
                }
            }
        }
    }

    /// <summary>Every peer once, and ours once per node count asked for.</summary>
    private static IEnumerable<(string Peer, int Nodes)> Variants(Options options) =>
        options.Peers.SelectMany(peer => peer == "ours" ? options.Nodes.Select(n => (peer, n)) : [(peer, 1)]);

    private static string Label(string peer, int nodes) => nodes == 1 ? peer : $"{peer}, {nodes} nodes";

    private static async Task RunLadderAsync(BenchRun run, string peer, int nodes, int members, FanoutRun result)
    {
        var options = run.Options;
        var label = result.Peer;
        var sockets = members + 1;
        // Ours stores every message, as its new_msg always does (on PostgreSQL wherever several
        // nodes are compared, since several nodes need it); the peers only broadcast.
        await using var deployment = nodes > 1
            ? await run.StartNodesAsync(nodes, sockets)
            : Deployment.Single(await run.StartPeerAsync(peer, peer != "ours" ? Store.None : options.Nodes.Any(n => n > 1) ? Store.Postgres : Store.Sqlite));
        var server = deployment.First;
        result.Store = server.Launch.Store.ToString().ToLowerInvariant();
        var layout = new RoomLayout { Rooms = 1, Prefix = "fanout" };
        await server.PrepareRoomsAsync(layout);
        await using var pool = await WorkerPool.StartAsync(options, deployment.Nodes, sockets, layout);
        var fill = Stopwatch.StartNew();
        var fillCpu = deployment.CpuSeconds();
        var (opened, elapsed) = await pool.OpenAsync(s => run.Print($"fanout {label} N={members}: {s.Joined:N0} of {sockets:N0} joined"));
        result.Joined = opened.Joined;
        result.OpenSeconds = elapsed.TotalSeconds;
        result.OpenServerCpuPercent = 100 * (deployment.CpuSeconds() - fillCpu) / elapsed.TotalSeconds;
        run.Print($"fanout {label} N={members}: {opened.Joined:N0} of {sockets:N0} joined in {elapsed.TotalSeconds:0.0} s, server CPU {result.OpenServerCpuPercent:0} %{(opened.Failed > 0 ? $", {opened.Failed} failed: {opened.ErrorSummary}" : "")}");
        if (opened.Joined != sockets)
        {
            result.Error = $"only {opened.Joined} of {sockets} sockets joined: {opened.ErrorSummary}";
            return;
        }

        if (peer == "ours" && sockets > PresenceListLimit)
        {
            // Above the list limit every member is told how many are present: the room has
            // filled, as its members see it, once the members on every node have been told all.
            var counted = await BenchRun.WaitForAsync(pool, s => s.PresenceCountEverywhere >= sockets, TimeSpan.FromSeconds(options.Wait));
            result.PresenceSeconds = counted.PresenceCountEverywhere >= sockets ? fill.Elapsed.TotalSeconds : null;
            run.Print(result.PresenceSeconds is { } seconds
                ? $"fanout {label} N={members}: members on every node told presence_count {sockets:N0} at {seconds:0.0} s"
                : $"fanout {label} N={members}: presence_count reached only {counted.PresenceCountEverywhere:N0} of {sockets:N0} on some node");
        }

        // Warm-up: JIT, pools, the first database writes. Not measured.
        var sender = pool.Workers[0];
        await StepAsync(run, deployment, pool, sender, members, Math.Min(options.Rates[0], 5000), options.WarmupSeconds);

        foreach (var rate in options.Rates)
        {
            var step = await StepAsync(run, deployment, pool, sender, members, rate, options.Seconds);
            result.Steps.Add(step);
            run.Print($"fanout {label} N={members} offered {BenchRun.Count(rate)}/s: delivered {BenchRun.Percent(step.DeliveredFraction)} at {BenchRun.Count(step.DeliveriesPerSecond)}/s, " +
                $"p50 {BenchRun.Ms(step.Delivery.P50)} p99 {BenchRun.Ms(step.Delivery.P99)} max {BenchRun.Ms(step.Delivery.Max)} ms, server CPU {step.ServerCpuPercent:0} %, client CPU {step.ClientCpuPercent:0} %" +
                (step.Saturated ? " — saturated" : "") + (step.Errors is { Length: > 0 } e ? $" ({e})" : ""));
            if (step.Saturated)
            {
                break;
            }
        }
    }

    private static async Task<FanoutStep> StepAsync(BenchRun run, Deployment server, WorkerPool pool, WorkerProcess sender, int members, double offered, double seconds)
    {
        var options = run.Options;
        var receivers = members + 1;
        var sendsPerSecond = offered / receivers;
        await pool.ResetAsync();
        var before = await pool.StatsAsync();
        var serverCpu = server.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await sender.CommandAsync(new WorkerCommand { Cmd = "open-loop", Rate = sendsPerSecond, Seconds = seconds, Senders = 1 });
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var stats = await BenchRun.WaitForAsync(pool, s => !s.Sending && s.Delivered >= s.Sent * receivers && s.Acked + s.SendErrors >= s.Sent,
            TimeSpan.FromSeconds(options.Wait));
        var wall = clock.Elapsed.TotalSeconds;
        var serverCpuPercent = 100 * (server.CpuSeconds() - serverCpu) / wall;
        var (delivery, ack) = await pool.HistogramsAsync();
        var expected = stats.Sent * receivers;
        var fraction = expected == 0 ? 0 : (double)stats.Delivered / expected;
        var span = (stats.LastDeliveryTicks - stats.FirstSendTicks) / (double)Stopwatch.Frequency;
        var latency = Latency.Of(delivery);
        var lost = stats.Lost - before.Lost;
        return new FanoutStep
        {
            OfferedDeliveriesPerSecond = offered,
            SendsPerSecond = sendsPerSecond,
            Sent = stats.Sent,
            Expected = expected,
            Delivered = stats.Delivered,
            DeliveredFraction = fraction,
            DeliveriesPerSecond = span > 0 ? stats.Delivered / span : 0,
            Delivery = latency,
            Ack = Latency.Of(ack),
            Acked = stats.Acked,
            SendErrors = stats.SendErrors,
            ServerCpuPercent = serverCpuPercent,
            ClientCpuPercent = 100 * (stats.CpuSeconds - before.CpuSeconds) / wall,
            Lost = lost,
            MaxSendLagMs = stats.MaxSendLagMicros / 1000.0,
            Saturated = fraction < 0.99 || lost > 0 || stats.SendErrors > 0 || (latency.P99 ?? double.MaxValue) > options.P99BoundMs,
            Errors = stats.ErrorSummary,
        };
    }
}
