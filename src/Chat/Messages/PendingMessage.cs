namespace Chat.Messages;

/// <summary>A validated message waiting in the writer's queue for its batch to commit.</summary>
internal sealed class PendingMessage(long roomId, string roomSlug, ChatUser author, string content, string? clientId, Action<ChatResult<PostedMessage>>? onResult)
{
    public long RoomId { get; } = roomId;

    public string RoomSlug { get; } = roomSlug;

    public ChatUser Author { get; } = author;

    public string Content { get; } = content;

    public string? ClientId { get; } = clientId;

    /// <summary>Runs on the writer, after the commit and before the event is published.</summary>
    public Action<ChatResult<PostedMessage>>? OnResult { get; } = onResult;

    public TaskCompletionSource<ChatResult<PostedMessage>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MessageView ToView(long id, DateTime insertedAt) => new(id, RoomId, Author.Id, Author.Username, Content, insertedAt);
}
