namespace Chat.Messages;

/// <summary>Limits of the group-commit writer.</summary>
public sealed class MessageWriterOptions
{
    /// <summary>Most messages one transaction carries.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Messages that may wait for the writer; past this, senders wait for room.</summary>
    public int QueueCapacity { get; set; } = 20_000;
}
