using Chat.Rooms;

namespace Chat.Messages;

/// <summary>The author changes a message's content (CONTRACT.md §4 <c>edit_msg</c>).</summary>
internal sealed class EditMessage(RoomView room, ChatUser actor, long messageId, string content, object? origin)
    : PendingChange(room, actor, messageId, origin)
{
    public string Content { get; } = content;

    public override MessageChangeKind Kind => MessageChangeKind.Edited;

    public override ChangeDecision Decide(MessageView? current, DateTime now)
    {
        if ((Missing(current) ?? NotAuthor(current!)) is { } refused)
        {
            return refused;
        }

        return current!.Content == Content
            ? new ChangeDecision.Keep()
            : new ChangeDecision.Apply(current with { Content = Content, EditedAt = now });
    }
}
