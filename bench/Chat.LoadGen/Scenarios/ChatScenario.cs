using System.Diagnostics;
using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Report;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Scenarios;

/// <summary>
/// The whole chat: R rooms of M members, every member sending to its room on a closed loop
/// with k sends in flight, every message stored, acknowledged and broadcast. Per store and k:
/// acknowledged messages/s, deliveries/s, and acknowledgement latency (from the send to the
/// sender reading the answer, which carries the stored message).
/// </summary>
internal static class ChatScenario
{
    public static async Task RunAsync(BenchRun run)
    {
        foreach (var store in run.Options.Stores)
        {
            foreach (var peer in run.Options.Peers)
            {
                try
                {
                    await MeasureAsync(run, peer, store);
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    run.Results.Chat.Add(new ChatRun { Peer = peer, Store = Name(store), Mode = "closed", Error = error.Message });
                    run.Print($"chat {peer} on {Name(store)}: FAILED: {error.Message}");
                }
            }
        }
    }

    private static string Name(Store store) => store.ToString().ToLowerInvariant();

    private static async Task MeasureAsync(BenchRun run, string peer, Store store)
    {
        var options = run.Options;
        await using var server = await run.StartPeerAsync(peer, store);
        var layout = new RoomLayout { Rooms = options.ChatRooms, Prefix = "chat" };
        await server.PrepareRoomsAsync(layout);
        var sockets = options.ChatRooms * options.ChatRoomSize;
        await using var pool = await WorkerPool.StartAsync(options, server, sockets, layout);
        var (opened, elapsed) = await pool.OpenAsync(_ => { });
        run.Print($"chat {peer} on {Name(store)}: {opened.Joined:N0} of {sockets:N0} joined in {elapsed.TotalSeconds:0.0} s");
        if (opened.Joined != sockets)
        {
            throw new InvalidOperationException($"only {opened.Joined} of {sockets} sockets joined: {opened.ErrorSummary}");
        }

        await ClosedLoopAsync(run, server, pool, 1, options.WarmupSeconds); // warm-up
        foreach (var k in options.InFlight)
        {
            var result = await ClosedLoopAsync(run, server, pool, k, options.ChatSeconds) with { Peer = peer, Store = Name(store), Rooms = options.ChatRooms, RoomSize = options.ChatRoomSize, Joined = opened.Joined };
            run.Results.Chat.Add(result);
            run.Print($"chat {peer} on {Name(store)}, {k} in flight per sender: {BenchRun.Count(result.AckedPerSecond)} acked/s, {BenchRun.Count(result.DeliveriesPerSecond)} deliveries/s, " +
                $"ack p50 {BenchRun.Ms(result.Ack.P50)} p99 {BenchRun.Ms(result.Ack.P99)} ms, server CPU {result.ServerCpuPercent:0} %, client CPU {result.ClientCpuPercent:0} %" +
                (result.Errors is { Length: > 0 } e ? $" ({e})" : ""));
        }
    }

    private static async Task<ChatRun> ClosedLoopAsync(BenchRun run, PeerServer server, WorkerPool pool, int inFlight, double seconds)
    {
        await pool.ResetAsync();
        var before = await pool.StatsAsync();
        var cpu = server.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await pool.AllAsync(w => w.CommandAsync(new WorkerCommand { Cmd = "closed-loop", InFlight = inFlight, Seconds = seconds }));
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var stats = await BenchRun.WaitForAsync(pool, s => !s.Sending && s.Delivered >= s.Acked * run.Options.ChatRoomSize, TimeSpan.FromSeconds(run.Options.Wait));
        var wall = clock.Elapsed.TotalSeconds;
        var (delivery, ack) = await pool.HistogramsAsync();
        var frequency = (double)Stopwatch.Frequency;
        var ackSpan = (stats.LastAckTicks - stats.FirstSendTicks) / frequency;
        var deliverySpan = (stats.LastDeliveryTicks - stats.FirstSendTicks) / frequency;
        return new ChatRun
        {
            Peer = "",
            Store = "",
            Mode = "closed",
            InFlight = inFlight,
            Sent = stats.Sent,
            Acked = stats.Acked,
            SendErrors = stats.SendErrors,
            AckedPerSecond = ackSpan > 0 ? stats.Acked / ackSpan : 0,
            Delivered = stats.Delivered,
            DeliveriesPerSecond = deliverySpan > 0 ? stats.Delivered / deliverySpan : 0,
            Ack = Latency.Of(ack),
            Delivery = Latency.Of(delivery),
            ServerCpuPercent = 100 * (server.CpuSeconds() - cpu) / wall,
            ClientCpuPercent = 100 * (stats.CpuSeconds - before.CpuSeconds) / wall,
            Lost = stats.Lost - before.Lost,
            Errors = stats.ErrorSummary,
        };
    }
}
