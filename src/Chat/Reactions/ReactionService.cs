using Chat.Messages;
using Chat.Rooms;
using Chat.Validation;

namespace Chat.Reactions;

/// <summary>
/// Reactions to messages (CONTRACT.md §4). Each goes through the message writer like any
/// change, gets a revision, and is announced to <see cref="IChatEvents.MessageChangedAsync"/>.
/// </summary>
public sealed class ReactionService
{
    private readonly MessageWriter _writer;

    internal ReactionService(MessageWriter writer) => _writer = writer;

    /// <summary>Adds the user's <paramref name="emoji"/> to a message of <paramref name="room"/>.</summary>
    public Task<ChatResult<MessageChange>> ReactAsync(
        RoomView room, ChatUser user, long? messageId, string? emoji, object? origin = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(room, user, messageId, emoji, add: true, origin, cancellationToken);

    /// <summary>Takes the user's <paramref name="emoji"/> back from a message of <paramref name="room"/>.</summary>
    public Task<ChatResult<MessageChange>> UnreactAsync(
        RoomView room, ChatUser user, long? messageId, string? emoji, object? origin = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(room, user, messageId, emoji, add: false, origin, cancellationToken);

    private async Task<ChatResult<MessageChange>> ChangeAsync(
        RoomView room, ChatUser user, long? messageId, string? emoji, bool add, object? origin, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var id = MessageRules.Id(errors, messageId);
        var cleanEmoji = ReactionRules.Emoji(errors, emoji);
        if (!errors.IsEmpty)
        {
            return ChatResult<MessageChange>.Invalid(errors);
        }

        return await _writer.ChangeAsync(new ReactionChange(room, user, id, cleanEmoji!, add, origin), cancellationToken).ConfigureAwait(false);
    }
}
