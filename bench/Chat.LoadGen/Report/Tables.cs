using System.Globalization;
using System.Text;
using Chat.LoadGen.Scenarios;

namespace Chat.LoadGen.Report;

/// <summary>The tables printed at the end of a run and written to results.md, ready for docs/benchmarks.md.</summary>
internal static class Tables
{
    /// <summary>The p99 bound that defines a peer's peak in the fan-out summary.</summary>
    public const double PeakP99BoundMs = 250;

    /// <summary>The rate at which the fan-out summary quotes p99 (issue 9's target).</summary>
    public const double TargetRate = 40_000;

    public static string Markdown(BenchResults results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Commit `{results.Commit}`, {results.StartedAt[..16]}Z, {results.Machine}{(results.Quick ? " (quick mode: numbers only show that every peer ran)" : "")}.");
        text.AppendLine();
        if (results.Fanout.Count > 0)
        {
            FanoutSummary(text, results);
            FanoutSteps(text, results);
            if (results.Fanout.Any(r => r.Nodes > 1 || r.PresenceSeconds is not null))
            {
                FanoutFill(text, results);
            }
        }

        if (results.Rooms.Count > 0)
        {
            Rooms(text, results);
        }

        if (results.Idle.Count > 0)
        {
            Idle(text, results);
        }

        if (results.Chat.Count > 0)
        {
            Chat(text, results);
        }

        return text.ToString();
    }

    /// <summary>Per N: p99 at 40k deliveries/s, and the highest deliveries/s with p99 within 250 ms, with ratios to ours.</summary>
    private static void FanoutSummary(StringBuilder text, BenchResults results)
    {
        text.AppendLine("Fan-out summary: p99 at 40k deliveries/s, and peak = the highest deliveries/s of a step with ≥ 99 % delivered and p99 ≤ 250 ms.");
        text.AppendLine();
        text.AppendLine("| members | peer | p99 at 40k/s ms | **peak deliveries/s** | p99 at peak ms | ours ÷ peer (peak) |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|");
        foreach (var group in results.Fanout.GroupBy(r => r.Members))
        {
            var ours = Peak(group.FirstOrDefault(r => r.Peer == "ours"));
            foreach (var run in group)
            {
                var at40 = run.Steps.FirstOrDefault(s => s.OfferedDeliveriesPerSecond == TargetRate);
                var peak = Peak(run);
                // A ladder that ended without saturating only bounds the peak from below.
                var atLeast = peak is not null && run.Steps.Count > 0 && !run.Steps[^1].Saturated && ReferenceEquals(run.Steps[^1], peak) ? "≥ " : "";
                var ratio = ours is { } o && peak is { } p && run.Peer != "ours" ? $"{(atLeast.Length > 0 ? "≤ " : "")}{o.DeliveriesPerSecond / p.DeliveriesPerSecond:0.00}×" : "";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Members:N0} | {run.Peer} | {(at40 is null ? "–" : BenchRun.Ms(at40.Delivery.P99) + (at40.Saturated ? " (saturated)" : ""))} | **{(peak is null ? "–" : atLeast + BenchRun.Count(peak.DeliveriesPerSecond))}** | {BenchRun.Ms(peak?.Delivery.P99)} | {ratio} |");
            }
        }

        text.AppendLine();
    }

    public static FanoutStep? Peak(FanoutRun? run) => run?.Steps
        .Where(s => !s.Saturated && s.Delivery.P99 <= PeakP99BoundMs)
        .MaxBy(s => s.DeliveriesPerSecond);

    private static void FanoutSteps(StringBuilder text, BenchResults results)
    {
        text.AppendLine("Fan-out, every step (open loop; latency from the sender's send to the member's read, ms):");
        text.AppendLine();
        text.AppendLine("| members | peer | offered deliveries/s | delivered | **deliveries/s** | p50 | p90 | **p99** | max | ack p99 | server CPU % | client CPU % |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in results.Fanout)
        {
            if (run.Error is not null && run.Steps.Count == 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {run.Members:N0} | {run.Peer} | failed: {run.Error} | | | | | | | | | |");
                continue;
            }

            foreach (var step in run.Steps)
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Members:N0} | {run.Peer} | {BenchRun.Count(step.OfferedDeliveriesPerSecond)} | {BenchRun.Percent(step.DeliveredFraction)} | **{BenchRun.Count(step.DeliveriesPerSecond)}** | {BenchRun.Ms(step.Delivery.P50)} | {BenchRun.Ms(step.Delivery.P90)} | **{BenchRun.Ms(step.Delivery.P99)}**{(step.Saturated ? " (sat.)" : "")} | {BenchRun.Ms(step.Delivery.Max)} | {BenchRun.Ms(step.Ack.P99)} | {step.ServerCpuPercent:0} | {step.ClientCpuPercent:0} |");
            }
        }

        text.AppendLine();
    }

    /// <summary>How long each run's room took to fill: every join answered, and (ours, above the list limit) every node's members told the full count.</summary>
    private static void FanoutFill(StringBuilder text, BenchResults results)
    {
        text.AppendLine("Filling the fan-out room (every socket connects and joins, a fixed number of joins in flight in all; s from the first connect):");
        text.AppendLine();
        text.AppendLine("| members | peer | nodes | store | joins answered | **every node's members told the full presence_count** | joins/s | server CPU % while filling |");
        text.AppendLine("|---:|---|---:|---|---:|---:|---:|---:|");
        foreach (var run in results.Fanout.Where(r => r.Joined > 0))
        {
            text.AppendLine(Inv($"| {run.Members:N0} | {run.Peer} | {run.Nodes} | {run.Store ?? "–"} | {run.OpenSeconds:0.0} | **{(run.PresenceSeconds is { } seconds ? seconds.ToString("0.0", CultureInfo.InvariantCulture) : "–")}** | {BenchRun.Count(run.Joined / run.OpenSeconds)} | {run.OpenServerCpuPercent:0} |"));
        }

        text.AppendLine();
    }

    private static void Rooms(StringBuilder text, BenchResults results)
    {
        text.AppendLine("Many small rooms (open loop: each member sends once per period to each of its rooms; latency ms):");
        text.AppendLine();
        text.AppendLine("| peer | sockets | rooms × members | sends/s | delivered | p50 | p99 | max | ack p99 | **server CPU %** | server RSS MiB | client CPU % |");
        text.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Rooms)
        {
            text.AppendLine(r.Error is not null && r.Delivered == 0
                ? Inv($"| {r.Peer} | {r.Sockets:N0} | failed: {r.Error} | | | | | | | | | |")
                : Inv($"| {r.Peer} | {r.Sockets:N0} | {r.Rooms:N0} × {r.RoomSize} ({r.RoomsPerSocket} per socket) | {BenchRun.Count(r.SendsPerSecond)} | {BenchRun.Percent(r.DeliveredFraction)} | {BenchRun.Ms(r.Delivery.P50)} | **{BenchRun.Ms(r.Delivery.P99)}** | {BenchRun.Ms(r.Delivery.Max)} | {BenchRun.Ms(r.Ack.P99)} | **{r.ServerCpuPercent:0.0}** | {r.ServerRssBytes / 1048576.0:0} | {r.ClientCpuPercent:0.0} |"));
        }

        text.AppendLine();
    }

    private static void Idle(StringBuilder text, BenchResults results)
    {
        text.AppendLine("Idle sockets (each peer's own keep-alive; the baseline is read once the server is at rest after its warm-up, ours after its memory reclaim (the quick mode does not wait); RSS and live heap after a forced full GC unless marked; the live heap of Node is its JavaScript heap):");
        text.AppendLine();
        text.AppendLine("| sockets | rooms | peer | joined | RSS base MiB | RSS with N MiB | **RSS per socket KiB** | live heap per socket KiB | allocated per socket while opening KiB | **idle CPU % of a core** | keep-alives sent by clients | RSS after all closed MiB | after ÷ base | ours ÷ peer (RSS per socket) |");
        text.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.Idle.GroupBy(r => (r.Sockets, r.Rooms)))
        {
            var ours = group.FirstOrDefault(r => r.Peer == "ours" && r.Error is null);
            foreach (var r in group)
            {
                var ratio = ours is not null && r.Peer != "ours" && r.Error is null && r.RssPerSocketBytes > 0 ? $"{ours.RssPerSocketBytes / r.RssPerSocketBytes:0.00}×" : "";
                text.AppendLine(r.LoadedRssBytes == 0
                    ? Inv($"| {r.Sockets:N0} | {r.Rooms} | {r.Peer} | failed: {r.Error} | | | | | | | | | | |")
                    : Inv($"| {r.Sockets:N0} | {r.Rooms} | {r.Peer} | {r.Joined:N0}{(r.Error is null ? "" : " (incomplete)")} | {r.BaselineRssBytes / 1048576.0:0} | {r.LoadedRssBytes / 1048576.0:0} | **{r.RssPerSocketBytes / 1024:0.0}**{(r.ForcedGc ? "" : " (no forced GC)")} | {(r.LiveHeapPerSocketBytes is { } heap ? (heap / 1024).ToString("0.0", CultureInfo.InvariantCulture) : "–")} | {(r.AllocatedPerSocketBytes is { } allocated ? (allocated / 1024).ToString("0.0", CultureInfo.InvariantCulture) : "–")} | **{r.IdleCpuPercent:0.0}** | {r.HeartbeatsSent:N0} | {r.AfterCloseRssBytes / 1048576.0:0} | {r.AfterCloseRssBytes / (double)r.BaselineRssBytes:0.00} | {ratio} |"));
            }
        }

        text.AppendLine();

        // Where the bytes go, at the largest N measured with a heap breakdown.
        foreach (var r in results.Idle.Where(r => r.HeapTypes is { Count: > 0 }).GroupBy(r => r.Peer).Select(g => g.MaxBy(r => r.Sockets)!))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Live heap per idle socket, {r.Peer}, {r.Sockets:N0} sockets in {r.Rooms} rooms (growth over the baseline, largest types):");
            text.AppendLine();
            text.AppendLine("| bytes per socket | objects per socket | type |");
            text.AppendLine("|---:|---:|---|");
            foreach (var type in r.HeapTypes!)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {type.BytesPerSocket:0} | {type.ObjectsPerSocket:0.00} | `{type.Type}` |");
            }

            text.AppendLine();
        }
    }

    private static void Chat(StringBuilder text, BenchResults results)
    {
        text.AppendLine("The whole chat (closed loop, k sends in flight per sender; every message stored, acknowledged and broadcast; ack latency ms):");
        text.AppendLine();
        text.AppendLine("| store | peer | rooms × members | k | **acked msg/s** | deliveries/s | ack p50 | **ack p99** | ack max | server CPU % | client CPU % | ours ÷ peer (acked/s) |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Chat)
        {
            if (r.Error is not null && r.Acked == 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Store} | {r.Peer} | failed: {r.Error} | | | | | | | | | |");
                continue;
            }

            var ours = results.Chat.FirstOrDefault(o => o.Peer == "ours" && o.Store == r.Store && o.InFlight == r.InFlight && o.Error is null);
            var ratio = ours is not null && r.Peer != "ours" && r.AckedPerSecond > 0 ? $"{ours.AckedPerSecond / r.AckedPerSecond:0.0}×" : "";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Store} | {r.Peer} | {r.Rooms} × {r.RoomSize} | {r.InFlight} | **{BenchRun.Count(r.AckedPerSecond)}** | {BenchRun.Count(r.DeliveriesPerSecond)} | {BenchRun.Ms(r.Ack.P50)} | **{BenchRun.Ms(r.Ack.P99)}** | {BenchRun.Ms(r.Ack.Max)} | {r.ServerCpuPercent:0} | {r.ClientCpuPercent:0} | {ratio} |");
        }

        text.AppendLine();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
