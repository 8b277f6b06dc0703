namespace Chat.Messages;

/// <summary>
/// Writes a batch of messages and changes in one transaction, the fastest way its database
/// allows. Either the batch is committed, or the call throws and the writer asks
/// <see cref="CommittedAsync"/> whether it was committed all the same.
/// </summary>
/// <remarks>
/// The writer calls a store from one task at a time, so a store may keep what it needs about
/// its last attempt between <see cref="WriteAsync"/> and <see cref="CommittedAsync"/>.
/// </remarks>
internal interface IMessageBatchStore : IAsyncDisposable
{
    /// <summary>
    /// Stores the batch, in order, with <paramref name="now"/> as its time, and sets each
    /// write's outcome: <see cref="PendingMessage.Stored"/> (a new message, or the original of
    /// an earlier send with the same (room, user, client_id), which is not stored again),
    /// <see cref="PendingChange.Outcome"/> (decided against the message as it stands inside
    /// this transaction; a change that changes something gets the next revision), or
    /// <see cref="PendingWrite.Refusal"/> for a write the store left out while the rest went in.
    /// </summary>
    /// <param name="deadline">
    /// Its token is cancelled once the database has not answered for the writer's commit
    /// timeout: the store gives up on the batch if it can. A store that talks to its database
    /// in several round trips calls <see cref="AnswerDeadline.Answered"/> after each.
    /// </param>
    Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, AnswerDeadline deadline);

    /// <summary>
    /// After <see cref="WriteAsync"/> threw: whether its batch was committed nonetheless (the
    /// commit reached the database, and the failure came after it, or its answer was lost).
    /// False when it failed before its commit was sent. Throws while the database cannot tell.
    /// </summary>
    Task<bool> CommittedAsync(CancellationToken cancellationToken);

    /// <summary>Completes once the database answers again; throws while it does not.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// True when a failure is the database's state, not the batch's content (it did not answer
    /// in time, the connection broke, the disk is full): the batch is tried again later, whole.
    /// False when the database refused something the batch holds: the batch is split to find it.
    /// </summary>
    bool IsTransient(Exception exception);

    /// <summary>True when a failure means the message's room does not exist (any more).</summary>
    bool IsMissingRoom(Exception exception);
}
