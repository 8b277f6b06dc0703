using Chat.Reactions;
using Chat.Rooms;

namespace Chat.Messages;

/// <summary>
/// The author deletes a message (CONTRACT.md §4 <c>delete_msg</c>). The row stays as a
/// tombstone, with no content and no reactions, so that history and catch-up can tell clients
/// to remove it. Deleting a tombstone again succeeds and changes nothing.
/// </summary>
internal sealed class DeleteMessage(RoomView room, ChatUser actor, long messageId, object? origin)
    : PendingChange(room, actor, messageId, origin)
{
    public override MessageChangeKind Kind => MessageChangeKind.Deleted;

    /// <summary>A tombstone leaves the search index.</summary>
    public override string? SearchDocument => "";

    public override ChangeDecision Decide(MessageView? current, DateTime now)
    {
        if (current is null || current.RoomId != Room.Id)
        {
            return new ChangeDecision.Refuse(ChatRefusal.NotFound);
        }

        if (NotAuthor(current) is { } forbidden)
        {
            return forbidden;
        }

        return current.Deleted
            ? new ChangeDecision.Keep()
            : new ChangeDecision.Apply(current with { Content = "", Deleted = true, Reactions = MessageReactions.None });
    }
}
