using Chat.Rooms;

namespace Chat.Messages;

/// <summary>The author changes a message's content (CONTRACT.md §4 <c>edit_msg</c>).</summary>
internal sealed class EditMessage(RoomView room, ChatUser actor, long messageId, string content, long[] mentions, object? origin)
    : PendingChange(room, actor, messageId, origin)
{
    public string Content { get; } = content;

    /// <summary>The users the new content mentions: they replace the message's mentions.</summary>
    public override IReadOnlyList<long>? Mentions { get; } = mentions;

    /// <summary>An edit is found by its new words only.</summary>
    public override string? SearchDocument { get; } = Search.SearchText.Document(room.Id, content);

    public override MessageChangeKind Kind => MessageChangeKind.Edited;

    protected override string Field => "content";

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
