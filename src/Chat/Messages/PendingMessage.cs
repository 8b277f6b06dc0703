using System.Diagnostics;
using Chat.Rooms;
using Chat.Validation;

namespace Chat.Messages;

/// <summary>A validated message waiting in the writer's queue for its batch to commit.</summary>
internal sealed class PendingMessage(RoomView room, ChatUser author, string content, string? clientId, object? origin, long[]? mentions = null) : PendingWrite
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

    /// <summary>The users the message mentions, resolved before it was queued; stored in its transaction.</summary>
    public long[] Mentions { get; } = mentions ?? [];

    /// <summary>
    /// What the search index holds for it (<see cref="Search.SearchText.Document"/>), made
    /// here, on the sender's thread, so that the writer's thread only stores it.
    /// </summary>
    public string SearchDocument { get; } = Search.SearchText.Document(room.Id, content);

    /// <summary>Set by the store once the batch holding it has committed: the new message, or the original of a repeated client_id.</summary>
    public PostedMessage? Stored { get; set; }

    /// <summary>Completes once the message has been announced (or has failed).</summary>
    public TaskCompletionSource<ChatResult<PostedMessage>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task Answered => Completion.Task;

    public MessageView ToView(long id, DateTime insertedAt) => MessageView.Created(id, RoomId, Author, Content, insertedAt);

    /// <summary>For the publisher, once the message is announced: its caller hears ok, unless it was answered already.</summary>
    public void Answer()
    {
        if (TryClaimCommitted())
        {
            Completion.TrySetResult(ChatResult<PostedMessage>.Ok(Stored!));
        }
    }

    protected override void SetFailed(string failure) => Completion.TrySetResult(ChatResult<PostedMessage>.Failed(failure));

    protected override void SetRoomGone() =>
        Completion.TrySetResult(ChatResult<PostedMessage>.Invalid(FieldErrors.Of("room", ErrorMessages.DoesNotExist)));

    protected override void SetInvalid() =>
        Completion.TrySetResult(ChatResult<PostedMessage>.Invalid(FieldErrors.Of("content", ErrorMessages.Invalid)));
}
