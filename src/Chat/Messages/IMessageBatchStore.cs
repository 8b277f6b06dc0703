namespace Chat.Messages;

/// <summary>
/// Writes a batch of messages and changes in one transaction, the fastest way its database
/// allows. Either every write of the batch is committed, or none is and the call throws.
/// </summary>
internal interface IMessageBatchStore : IAsyncDisposable
{
    /// <summary>
    /// Stores the batch, in order, with <paramref name="now"/> as its time, and sets each
    /// write's outcome: <see cref="PendingMessage.Stored"/> (a new message, or the original of
    /// an earlier send with the same (room, user, client_id), which is not stored again) and
    /// <see cref="PendingChange.Outcome"/> (decided against the message as it stands inside
    /// this transaction; a change that changes something gets the next revision).
    /// </summary>
    Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, CancellationToken cancellationToken);

    /// <summary>True when a failure means the message's room does not exist (any more).</summary>
    bool IsMissingRoom(Exception exception);
}
