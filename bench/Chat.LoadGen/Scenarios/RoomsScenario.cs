using System.Diagnostics;
using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Report;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Scenarios;

/// <summary>
/// Many small rooms: R rooms of M members, every member sending one message to each of its
/// rooms per period (open loop, spread evenly), and every message timed at every member. The
/// server's CPU is the other number. 2,000 rooms of 10 are 20,000 memberships, but a server
/// process may hold at most 20,000 files here, so each socket is in two rooms: 10,000 sockets,
/// each in room g mod 2,000 and room (7g + 3) mod 2,000 (see <see cref="RoomLayout"/>).
/// </summary>
internal static class RoomsScenario
{
    public static async Task RunAsync(BenchRun run)
    {
        foreach (var peer in run.Options.Peers)
        {
            var options = run.Options;
            var sockets = options.SmallRooms * options.RoomSize / options.RoomsPerSocket;
            var result = new RoomsRun { Peer = peer, Sockets = sockets, Rooms = options.SmallRooms, RoomSize = options.RoomSize, RoomsPerSocket = options.RoomsPerSocket };
            try
            {
                result = await MeasureAsync(run, peer, result);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                result.Error = error.Message;
                run.Print($"rooms {peer}: FAILED: {error.Message}");
            }

            run.Results.Rooms.Add(result);
        }
    }

    private static async Task<RoomsRun> MeasureAsync(BenchRun run, string peer, RoomsRun result)
    {
        var options = run.Options;
        await using var server = await run.StartPeerAsync(peer, peer == "ours" ? Store.Sqlite : Store.None);
        var layout = new RoomLayout { Rooms = options.SmallRooms, RoomsPerSocket = options.RoomsPerSocket, Prefix = "small" };
        await server.PrepareRoomsAsync(layout);
        await using var pool = await WorkerPool.StartAsync(options, server, result.Sockets, layout);
        var (opened, elapsed) = await pool.OpenAsync(s => run.Print($"rooms {peer}: {s.Joined:N0} of {result.Sockets:N0} joined"));
        run.Print($"rooms {peer}: {opened.Joined:N0} of {result.Sockets:N0} sockets joined {options.RoomsPerSocket} rooms each in {elapsed.TotalSeconds:0.0} s");
        result = result with { Joined = opened.Joined, OpenSeconds = elapsed.TotalSeconds };
        if (opened.Joined != result.Sockets)
        {
            result.Error = $"only {opened.Joined} of {result.Sockets} sockets joined: {opened.ErrorSummary}";
            return result;
        }

        // Each membership sends once per period: sockets × rooms per socket / period, all workers together.
        var perSocket = options.RoomsPerSocket / options.SendEverySeconds;
        async Task SendAsync(double seconds)
        {
            await Task.WhenAll(pool.Workers.Select(w => w.CommandAsync(new WorkerCommand
            {
                Cmd = "open-loop",
                Rate = w.Config.Count * perSocket,
                Seconds = seconds,
            })));
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            await BenchRun.WaitForAsync(pool, s => !s.Sending && s.Delivered >= s.Sent * options.RoomSize, TimeSpan.FromSeconds(options.Wait));
        }

        await SendAsync(options.WarmupSeconds); // warm-up
        await pool.ResetAsync();
        var before = await pool.StatsAsync();
        var cpu = server.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await SendAsync(options.RoomsSeconds);
        var wall = clock.Elapsed.TotalSeconds;
        var serverCpu = 100 * (server.CpuSeconds() - cpu) / wall;
        var stats = await pool.StatsAsync();
        var (delivery, ack) = await pool.HistogramsAsync();
        var expected = stats.Sent * options.RoomSize;
        result = result with
        {
            SendsPerSecond = result.Sockets * perSocket,
            Sent = stats.Sent,
            Expected = expected,
            Delivered = stats.Delivered,
            DeliveredFraction = expected == 0 ? 0 : (double)stats.Delivered / expected,
            Delivery = Latency.Of(delivery),
            Ack = Latency.Of(ack),
            ServerCpuPercent = serverCpu,
            ClientCpuPercent = 100 * (stats.CpuSeconds - before.CpuSeconds) / wall,
            ServerRssBytes = server.Rss(),
            Lost = stats.Lost - before.Lost,
            Errors = stats.ErrorSummary,
        };
        run.Print($"rooms {peer}: {BenchRun.Count(result.SendsPerSecond)} sends/s to {options.SmallRooms:N0} rooms of {options.RoomSize}: delivered {BenchRun.Percent(result.DeliveredFraction)}, " +
            $"p50 {BenchRun.Ms(result.Delivery.P50)} p99 {BenchRun.Ms(result.Delivery.P99)} max {BenchRun.Ms(result.Delivery.Max)} ms, server CPU {serverCpu:0} %, RSS {result.ServerRssBytes / 1048576.0:0} MiB");
        return result;
    }
}
