namespace Chat.Messages;

/// <summary>
/// Writes a batch of messages in one transaction, the fastest way its database allows.
/// Either every message of the batch is committed, or none is and the call throws.
/// </summary>
internal interface IMessageBatchStore : IAsyncDisposable
{
    /// <summary>
    /// Stores the batch with <paramref name="now"/> as every message's timestamp. Returns one
    /// result per message, in order: a new message, or the original of an earlier send
    /// with the same (room, user, client_id), which is not stored again.
    /// </summary>
    Task<PostedMessage[]> WriteAsync(IReadOnlyList<PendingMessage> batch, DateTime now, CancellationToken cancellationToken);

    /// <summary>True when a failure means the message's room does not exist (any more).</summary>
    bool IsMissingRoom(Exception exception);
}
