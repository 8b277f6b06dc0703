using System.ComponentModel.DataAnnotations;

namespace Chat.Messages;

/// <summary>Limits of the group-commit writer (the <c>Chat:Writer</c> section).</summary>
public sealed class MessageWriterOptions
{
    /// <summary>
    /// Most messages one transaction carries. Larger batches share an fsync among more
    /// senders, but every sender in a batch waits for the whole batch.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "must be between {1} and {2}")]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Messages that may wait for the writer; past this, senders wait for room (and sockets stop reading).</summary>
    [Range(1, 10_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int QueueCapacity { get; set; } = 20_000;
}
