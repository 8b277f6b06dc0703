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
                var ratio = ours is { } o && peak is { } p && run.Peer != "ours" ? $"{o.DeliveriesPerSecond / p.DeliveriesPerSecond:0.00}×" : "";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Members:N0} | {run.Peer} | {(at40 is null ? "–" : BenchRun.Ms(at40.Delivery.P99) + (at40.Saturated ? " (saturated)" : ""))} | **{(peak is null ? "–" : BenchRun.Count(peak.DeliveriesPerSecond))}** | {BenchRun.Ms(peak?.Delivery.P99)} | {ratio} |");
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
}
