using System.Globalization;
using System.Text;

namespace Chat.LoadGen.Report;

/// <summary>
/// The fan-out chart: p99 latency against offered deliveries/s, one line per peer, one panel per
/// room size, both axes logarithmic. Saturated steps are hollow. Plain SVG, written here.
/// </summary>
internal static class Chart
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 300;
    private const int Left = 60;
    private const int Top = 40;
    private const int Bottom = 50;
    private const int Right = 20;
    private const double MinRate = 5_000;
    private const double MaxRate = 1_500_000;
    private const double MinMs = 0.5;
    private const double MaxMs = 30_000;

    private static readonly Dictionary<string, string> Colors = new()
    {
        ["ours"] = "#1f77b4",
        ["signalr"] = "#d62728",
        ["socketio"] = "#2ca02c",
    };

    public static string FanoutSvg(BenchResults results)
    {
        var groups = results.Fanout.GroupBy(r => r.Members).OrderBy(g => g.Key).ToList();
        var columns = Math.Min(2, Math.Max(1, groups.Count));
        var rows = (groups.Count + columns - 1) / columns;
        var width = columns * (PanelWidth + Left + Right);
        var height = rows * (PanelHeight + Top + Bottom) + 60;
        var svg = new StringBuilder();
        svg.AppendLine(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">"));
        svg.AppendLine(F($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        svg.AppendLine(F($"<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Fan-out: p99 latency against offered deliveries/s</text>"));
        svg.AppendLine(F($"<text x=\"10\" y=\"36\" fill=\"#555\">commit {Escape(results.Commit)}; one core for the server; hollow: saturated step</text>"));
        for (var i = 0; i < groups.Count; i++)
        {
            var x0 = i % columns * (PanelWidth + Left + Right) + Left;
            var y0 = i / columns * (PanelHeight + Top + Bottom) + Top + 30;
            Panel(svg, groups[i].Key, groups[i].ToList(), x0, y0);
        }

        // Legend.
        var legendX = 10;
        foreach (var (peer, color) in Colors)
        {
            svg.AppendLine(F($"<rect x=\"{legendX}\" y=\"{height - 18}\" width=\"14\" height=\"4\" fill=\"{color}\"/><text x=\"{legendX + 18}\" y=\"{height - 12}\">{peer}</text>"));
            legendX += 90;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int members, List<FanoutRun> runs, int x0, int y0)
    {
        double X(double rate) => x0 + PanelWidth * Math.Log(Math.Clamp(rate, MinRate, MaxRate) / MinRate) / Math.Log(MaxRate / MinRate);
        double Y(double ms) => y0 + PanelHeight - PanelHeight * Math.Log(Math.Clamp(ms, MinMs, MaxMs) / MinMs) / Math.Log(MaxMs / MinMs);

        svg.AppendLine(F($"<text x=\"{x0}\" y=\"{y0 - 8}\" font-weight=\"bold\">{members:N0} members</text>"));
        svg.AppendLine(F($"<rect x=\"{x0}\" y=\"{y0}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#888\"/>"));
        foreach (var ms in new[] { 1.0, 10, 100, 1000, 10_000 })
        {
            var y = Y(ms);
            svg.AppendLine(F($"<line x1=\"{x0}\" y1=\"{y:0.0}\" x2=\"{x0 + PanelWidth}\" y2=\"{y:0.0}\" stroke=\"#ddd\"/><text x=\"{x0 - 6}\" y=\"{y + 4:0.0}\" text-anchor=\"end\">{(ms >= 1000 ? $"{ms / 1000:0} s" : $"{ms:0} ms")}</text>"));
        }

        foreach (var rate in new[] { 10_000.0, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000 })
        {
            var x = X(rate);
            svg.AppendLine(F($"<line x1=\"{x:0.0}\" y1=\"{y0}\" x2=\"{x:0.0}\" y2=\"{y0 + PanelHeight}\" stroke=\"#eee\"/><text x=\"{x:0.0}\" y=\"{y0 + PanelHeight + 16}\" text-anchor=\"middle\">{(rate >= 1_000_000 ? "1M" : $"{rate / 1000:0}k")}</text>"));
        }

        var bound = Y(Tables.PeakP99BoundMs);
        svg.AppendLine(F($"<line x1=\"{x0}\" y1=\"{bound:0.0}\" x2=\"{x0 + PanelWidth}\" y2=\"{bound:0.0}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"{x0 + PanelWidth - 4}\" y=\"{bound - 4:0.0}\" text-anchor=\"end\" fill=\"#666\">250 ms</text>"));
        svg.AppendLine(F($"<text x=\"{x0 + PanelWidth / 2}\" y=\"{y0 + PanelHeight + 34}\" text-anchor=\"middle\">offered deliveries/s</text>"));
        svg.AppendLine(F($"<text transform=\"translate({x0 - 52},{y0 + PanelHeight / 2}) rotate(-90)\" text-anchor=\"middle\">p99</text>"));

        foreach (var run in runs)
        {
            var color = Colors.GetValueOrDefault(run.Peer, "#555");
            var points = run.Steps.Where(s => s.Delivery.P99 is not null).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            svg.AppendLine(F($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(s => F($"{X(s.OfferedDeliveriesPerSecond):0.0},{Y(s.Delivery.P99!.Value):0.0}")))}\"/>"));
            foreach (var s in points)
            {
                svg.AppendLine(F($"<circle cx=\"{X(s.OfferedDeliveriesPerSecond):0.0}\" cy=\"{Y(s.Delivery.P99!.Value):0.0}\" r=\"3.5\" fill=\"{(s.Saturated ? "white" : color)}\" stroke=\"{color}\" stroke-width=\"1.5\"><title>{run.Peer}: {s.OfferedDeliveriesPerSecond:N0}/s offered, {s.DeliveriesPerSecond:N0}/s delivered ({s.DeliveredFraction:P1}), p99 {s.Delivery.P99:0.0} ms</title></circle>"));
            }
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
