namespace Chat.Messages;

/// <summary>
/// A write waiting in the writer's queue: a new message (<see cref="PendingMessage"/>) or a
/// change to one (<see cref="PendingChange"/>). One queue for both keeps one order: ids and
/// revisions are given out, committed and announced in the order writes were queued.
/// </summary>
/// <remarks>
/// <para>Its caller is answered exactly once, by whichever comes first: the publisher after
/// the write committed and was announced, the writer when the write failed or was refused,
/// or its deadline (<see cref="WriteDeadlines"/>), which tells the caller the write could not
/// be stored in time. Once committed, a write no longer expires: its outcome is known, and
/// only the announcement is still to come.</para>
/// <para>A write whose deadline passed while it was being committed may still commit (the
/// database answered late, or the answer to the commit was lost and the writer learnt the
/// outcome afterwards). It is then stored and announced like any other, but its caller,
/// who heard "unavailable", is not answered again: <see cref="IsCallerWaiting"/> is false.
/// A retry with the same client_id finds it.</para>
/// </remarks>
internal abstract class PendingWrite
{
    private const int Waiting = 0;
    private const int Committed = 1;
    private const int Done = 2;

    private int _state;

    /// <summary>When its caller stops waiting, as a <see cref="TimeProvider"/> timestamp; set when it is queued.</summary>
    public long Deadline { get; set; }

    /// <summary>Neither committed nor answered yet: the writer still has to store it.</summary>
    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>Committed, and its caller still waits for the answer (the publisher gives it).</summary>
    public bool IsCallerWaiting => Volatile.Read(ref _state) == Committed;

    /// <summary>
    /// Why the store did not write it, decided inside the batch's transaction while the rest of
    /// the batch went in (a message whose room was deleted meanwhile); answered once the batch
    /// has committed. Reset by the store on every attempt.
    /// </summary>
    public WriteRefusal Refusal { get; set; }

    /// <summary>Completes once its caller has been answered, whatever the answer.</summary>
    public abstract Task Answered { get; }

    /// <summary>
    /// The batch holding it committed. False when its caller had already been answered (its
    /// deadline passed): it is announced all the same, but its caller hears nothing more.
    /// </summary>
    public bool MarkCommitted() => Interlocked.CompareExchange(ref _state, Committed, Waiting) == Waiting;

    /// <summary>
    /// Ends the caller's wait with a storage failure (its deadline passed, or the writer gave
    /// up on it), unless it committed or was answered first; nothing is announced.
    /// </summary>
    public void Fail(string failure)
    {
        if (TryClaim(Waiting))
        {
            ChatDiagnostics.Unavailable.Add(1);
            SetFailed(failure);
        }
    }

    /// <summary>Ends the caller's wait because the store refused the write (<see cref="Refusal"/>, or a refusal of the database).</summary>
    public void Refuse(WriteRefusal refusal)
    {
        if (TryClaim(Waiting))
        {
            if (refusal == WriteRefusal.RoomGone)
            {
                SetRoomGone();
            }
            else
            {
                SetInvalid();
            }
        }
    }

    /// <summary>For the publisher: true once, for a committed write whose caller still waits; the caller must then be answered.</summary>
    protected bool TryClaimCommitted() => TryClaim(Committed);

    /// <summary>The caller's failure.</summary>
    protected abstract void SetFailed(string failure);

    /// <summary>The caller's answer when the room the write names no longer exists.</summary>
    protected abstract void SetRoomGone();

    /// <summary>The caller's answer when the database refused what the write holds: a field error.</summary>
    protected abstract void SetInvalid();

    private bool TryClaim(int from) => Interlocked.CompareExchange(ref _state, Done, from) == from;
}

/// <summary>Why a store did not write one write of a batch that otherwise committed.</summary>
internal enum WriteRefusal
{
    None,

    /// <summary>The room it names does not exist (any more).</summary>
    RoomGone,

    /// <summary>The database refused its values.</summary>
    Invalid,
}
