using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat;

/// <summary>
/// What the chat context reports: the group-commit writer's batches and commit latency, and a
/// <c>chat.message.persist</c> span per message, child of whatever span sent it.
/// </summary>
public static class ChatDiagnostics
{
    /// <summary>The meter of the message writer.</summary>
    public const string MeterName = "Chat";

    /// <summary>The source of the <c>chat.message.persist</c> and <c>chat.writer.commit</c> spans.</summary>
    public const string ActivitySourceName = "Chat";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "chat.writer.commit.duration", "s", "How long one group commit took, from the first statement to the commit.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "chat.writer.batch.size", "{message}", "Messages in one group commit.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });

    internal static readonly Counter<long> Stored =
        Meter.CreateCounter<long>("chat.messages.stored", "{message}", "Messages committed (a repeated client_id is not stored again).");

    internal static readonly Counter<long> SplitBatches =
        Meter.CreateCounter<long>("chat.writer.split_batches", "{batch}", "Batches the database refused for their content, split in halves to find the refused write.");

    internal static readonly Counter<long> Unavailable =
        Meter.CreateCounter<long>("chat.writer.unavailable", "{write}", "Writes answered unavailable: their deadline passed, or the database was not answering the writer.");
}
