using System.Diagnostics;
using Chat.Rooms;

namespace Chat.Messages;

/// <summary>A validated message waiting in the writer's queue for its batch to commit.</summary>
internal sealed class PendingMessage(RoomView room, ChatUser author, string content, string? clientId, object? origin)
{
    public RoomView Room { get; } = room;

    public long RoomId => Room.Id;

    public ChatUser Author { get; } = author;

    public string Content { get; } = content;

    public string? ClientId { get; } = clientId;

    /// <summary>The caller's token for its own send, handed back with the stored message (<see cref="StoredMessage.Origin"/>).</summary>
    public object? Origin { get; } = origin;

    /// <summary>The span that sent it (a channel's <c>chat.channel.in</c>, an HTTP request): its persist span's parent.</summary>
    public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;

    /// <summary>When it entered the writer's queue, for its persist span.</summary>
    public DateTime QueuedAt { get; } = DateTime.UtcNow;

    /// <summary>Completes once the message has been announced (or has failed).</summary>
    public TaskCompletionSource<ChatResult<PostedMessage>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MessageView ToView(long id, DateTime insertedAt) => new(id, RoomId, Author.Id, Author.Username, Content, insertedAt);
}
