using System.ComponentModel.DataAnnotations;
using Chat.Validation;

namespace Chat.Messages;

/// <summary>Limits of the group-commit writer (the <c>Chat:Writer</c> section).</summary>
public sealed class MessageWriterOptions : IValidatableObject
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

    /// <summary>
    /// How long a sender waits for its write to commit. Past it, the sender hears that the
    /// write could not be stored (<c>unavailable</c>, HTTP 503) and may send again with the
    /// same client_id. Well under phoenix.js's 10 s push timeout, so the client hears why.
    /// </summary>
    [TimeSpanRange("00:00:00.100", "00:01:00", ErrorMessage = "must be between 100 ms and a minute")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one transaction may take before the writer gives up on it and counts the
    /// database as not answering: new sends are then refused at once until it answers again.
    /// </summary>
    [TimeSpanRange("00:00:00.100", "00:01:00", ErrorMessage = "must be between 100 ms and a minute")]
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CommitTimeout > SendTimeout)
        {
            yield return new ValidationResult(
                "must not be longer than Chat:Writer:SendTimeout: senders would stop waiting before a stuck commit is noticed",
                [nameof(CommitTimeout)]);
        }
    }
}
