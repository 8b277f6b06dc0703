using Chat.Messages;
using Chat.Rooms;

namespace Chat.Reactions;

/// <summary>
/// A user adds or takes back a reaction (CONTRACT.md §4 <c>react</c>, <c>unreact</c>).
/// Idempotent: reacting twice, or taking back what is not there, succeeds and changes nothing.
/// </summary>
internal sealed class ReactionChange(RoomView room, ChatUser actor, long messageId, string emoji, bool add, object? origin)
    : PendingChange(room, actor, messageId, origin)
{
    public string Emoji { get; } = emoji;

    public bool Add { get; } = add;

    public override MessageChangeKind Kind => MessageChangeKind.Reactions;

    protected override string Field => "emoji";

    public override ChangeDecision Decide(MessageView? current, DateTime now)
    {
        if (Missing(current) is { } missing)
        {
            return missing;
        }

        var reactions = Add ? current!.Reactions.With(Emoji, Actor.Id) : current!.Reactions.Without(Emoji, Actor.Id);
        if (ReferenceEquals(reactions, current.Reactions))
        {
            return new ChangeDecision.Keep();
        }

        return reactions.Entries.Count > ReactionRules.MaxDistinctEmoji
            ? new ChangeDecision.Reject(ReactionRules.TooManyEmoji())
            : new ChangeDecision.Apply(current with { Reactions = reactions });
    }
}
