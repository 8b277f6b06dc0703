using Chat.Rooms;
using Chat.Validation;

namespace Chat.Messages;

/// <summary>
/// A validated change to a stored message, waiting in the writer's queue. The store reads the
/// message inside the batch's transaction and asks <see cref="Decide"/> what to do with it, so
/// the rules run against the message as it is when the change commits, and each feature's
/// rules stay in its own subclass (edits and deletes here, reactions in their folder).
/// </summary>
internal abstract class PendingChange(RoomView room, ChatUser actor, long messageId, object? origin) : PendingWrite
{
    public RoomView Room { get; } = room;

    public ChatUser Actor { get; } = actor;

    public long MessageId { get; } = messageId;

    /// <summary>The caller's token for its own request, handed back with the change (<see cref="MessageChange.Origin"/>).</summary>
    public object? Origin { get; } = origin;

    public abstract MessageChangeKind Kind { get; }

    /// <summary>Set by the store once the batch holding it has committed.</summary>
    public ChatResult<MessageChange>? Outcome { get; set; }

    /// <summary>Completes once the change has been announced (or refused, or has failed).</summary>
    public TaskCompletionSource<ChatResult<MessageChange>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task Answered => Completion.Task;

    /// <summary>The request field a field error names when the database refuses the change.</summary>
    protected virtual string Field => "id";

    /// <summary>What the change does to <paramref name="current"/> (null: no message has its id), at <paramref name="now"/>.</summary>
    public abstract ChangeDecision Decide(MessageView? current, DateTime now);

    /// <summary>The outcome of a decision; <paramref name="stored"/> is the message as stored afterwards.</summary>
    /// <param name="mentioned">Users the change newly mentions (an edit's), to be told.</param>
    public ChatResult<MessageChange> Resolve(ChangeDecision decision, MessageView? stored, IReadOnlyList<long>? mentioned = null) => decision switch
    {
        ChangeDecision.Refuse refuse => ChatResult<MessageChange>.Refused(refuse.Refusal),
        ChangeDecision.Reject reject => ChatResult<MessageChange>.Invalid(reject.Errors),
        ChangeDecision.Keep => ChatResult<MessageChange>.Ok(new MessageChange(Kind, stored!, Room, Changed: false, Origin, [])),
        _ => ChatResult<MessageChange>.Ok(new MessageChange(Kind, stored!, Room, Changed: true, Origin, mentioned ?? [])),
    };

    /// <summary>
    /// The users the message mentions once the change is stored, when the change sets them
    /// anew (an edit); null when it leaves them as they are.
    /// </summary>
    public virtual IReadOnlyList<long>? Mentions => null;

    /// <summary>
    /// What the search index holds for the message once the change is stored: new words for an
    /// edit, empty for a delete (a tombstone never matches), null when the change leaves it.
    /// </summary>
    public virtual string? SearchDocument => null;

    /// <summary>
    /// For the publisher, once the change is committed (and announced, if it changed
    /// something): its caller hears the outcome, unless it was answered already.
    /// </summary>
    public void Answer()
    {
        if (TryClaimCommitted())
        {
            Completion.TrySetResult(Outcome!);
        }
    }

    protected override void SetFailed(string failure) => Completion.TrySetResult(ChatResult<MessageChange>.Failed(failure));

    protected override void SetRoomGone() => Completion.TrySetResult(ChatResult<MessageChange>.Refused(ChatRefusal.NotFound));

    protected override void SetInvalid() => Completion.TrySetResult(ChatResult<MessageChange>.Invalid(FieldErrors.Of(Field, ErrorMessages.Invalid)));

    /// <summary>Not found when there is no such message in this room, or it is a tombstone; null when it may be changed.</summary>
    protected ChangeDecision? Missing(MessageView? current) =>
        current is null || current.RoomId != Room.Id || current.Deleted ? new ChangeDecision.Refuse(ChatRefusal.NotFound) : null;

    /// <summary>Forbidden unless the actor wrote the message.</summary>
    protected ChangeDecision? NotAuthor(MessageView current) =>
        current.UserId != Actor.Id ? new ChangeDecision.Refuse(ChatRefusal.Forbidden) : null;
}

/// <summary>What a change does to the message it names.</summary>
internal abstract record ChangeDecision
{
    /// <summary>Not found, or forbidden.</summary>
    public sealed record Refuse(ChatRefusal Refusal) : ChangeDecision;

    /// <summary>Not allowed for this message as it is (a 21st emoji).</summary>
    public sealed record Reject(FieldErrors Errors) : ChangeDecision;

    /// <summary>Nothing to change: it already is so. The request succeeds; nothing is stored or announced.</summary>
    public sealed record Keep : ChangeDecision;

    /// <summary>Store <paramref name="Message"/> (its rev is assigned by the store).</summary>
    public sealed record Apply(MessageView Message) : ChangeDecision;
}
