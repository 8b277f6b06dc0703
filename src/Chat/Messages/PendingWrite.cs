namespace Chat.Messages;

/// <summary>
/// A write waiting in the writer's queue: a new message (<see cref="PendingMessage"/>) or a
/// change to one (<see cref="PendingChange"/>). One queue for both keeps one order: ids and
/// revisions are given out, committed and announced in the order writes were queued.
/// </summary>
internal abstract class PendingWrite
{
    /// <summary>Ends the caller's wait with a storage failure; nothing is announced.</summary>
    public abstract void Fail(string failure);

    /// <summary>Ends the caller's wait because the room it names no longer exists.</summary>
    public abstract void FailRoomGone();
}
