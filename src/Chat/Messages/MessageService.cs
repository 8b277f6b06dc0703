using Chat.Mentions;
using Chat.Persistence;
using Chat.Rooms;
using Chat.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Messages;

/// <summary>
/// Messages: sending (through the group-commit writer) and reading a room's history.
/// Input is checked once, here, by <see cref="MessageRules"/>; entities never leave, only
/// views do.
/// </summary>
public sealed class MessageService
{
    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly MessageWriter _writer;
    private readonly MentionResolver _mentions;
    private readonly HistoryQueries _history = new();
    private readonly int _maxMessageLength;

    internal MessageService(IDbContextFactory<ChatDbContext> contexts, MessageWriter writer, IOptions<ChatOptions> options)
    {
        _contexts = contexts;
        _writer = writer;
        _mentions = new MentionResolver(contexts);
        _maxMessageLength = options.Value.MaxMessageLength;
    }

    /// <summary>The longest message, in characters.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>
    /// Validates and stores a message through the group-commit writer; completes once it is
    /// durable and has been announced to <see cref="IChatEvents.MessagesStoredAsync"/>. A
    /// repeated <paramref name="clientId"/> from the same user in the same room returns the
    /// original, which is not stored or broadcast again.
    /// </summary>
    /// <param name="origin">
    /// The caller's token for this send, handed back untouched in
    /// <see cref="StoredMessage.Origin"/>: a channel passes its reply handle, so that the
    /// host answers the sender right before the broadcast, in commit order. Invalid input and
    /// failures are never announced; they come back from this call only.
    /// </param>
    /// <remarks>
    /// Not async itself while nothing needs awaiting before the message is queued (it mentions
    /// nobody): the caller then waits on the writer's own task, with no state machine of this
    /// method kept on the heap until the commit.
    /// </remarks>
    public Task<ChatResult<PostedMessage>> CreateAsync(
        RoomView room, ChatUser author, string? content, string? clientId,
        object? origin = null, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var cleanContent = MessageRules.Content(errors, content, _maxMessageLength);
        var cleanClientId = MessageRules.ClientId(errors, clientId);
        if (!errors.IsEmpty)
        {
            return Task.FromResult(ChatResult<PostedMessage>.Invalid(errors));
        }

        if (_writer.IsUnavailable)
        {
            return Task.FromResult(MessageWriter.Unavailable<PostedMessage>());
        }

        var mentions = _mentions.ResolveAsync(cleanContent!, author.Id, _writer.SendTimeout, cancellationToken);
        return mentions.IsCompletedSuccessfully
            ? Write(room, author, cleanContent!, cleanClientId, origin, mentions.Result, cancellationToken)
            : WriteAfterLookUpAsync(room, author, cleanContent!, cleanClientId, origin, mentions, cancellationToken);
    }

    /// <summary>A message that mentions someone: queued once the names are looked up.</summary>
    private async Task<ChatResult<PostedMessage>> WriteAfterLookUpAsync(
        RoomView room, ChatUser author, string content, string? clientId, object? origin,
        Task<long[]?> lookUp, CancellationToken cancellationToken) =>
        await Write(room, author, content, clientId, origin, await lookUp.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Queues a validated message; null mentions mean the lookup did not answer in time.</summary>
    private Task<ChatResult<PostedMessage>> Write(
        RoomView room, ChatUser author, string content, string? clientId, object? origin,
        long[]? mentions, CancellationToken cancellationToken) =>
        mentions is null
            ? Task.FromResult(MessageWriter.Unavailable<PostedMessage>())
            : _writer.WriteAsync(new PendingMessage(room, author, content, clientId, origin, mentions), cancellationToken);

    /// <summary>
    /// The author changes a message's content. Refused with not found for an unknown message,
    /// one of another room, or a tombstone; forbidden for another user's message. Once stored,
    /// announced to <see cref="IChatEvents.MessageChangedAsync"/> (unless the content is the same).
    /// </summary>
    public async Task<ChatResult<MessageChange>> EditAsync(
        RoomView room, ChatUser author, long? messageId, string? content, object? origin = null, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var id = MessageRules.Id(errors, messageId);
        var cleanContent = MessageRules.Content(errors, content, _maxMessageLength);
        if (!errors.IsEmpty)
        {
            return ChatResult<MessageChange>.Invalid(errors);
        }

        if (_writer.IsUnavailable || await _mentions.ResolveAsync(cleanContent!, author.Id, _writer.SendTimeout, cancellationToken).ConfigureAwait(false) is not { } mentions)
        {
            return MessageWriter.Unavailable<MessageChange>();
        }

        return await _writer.ChangeAsync(new EditMessage(room, author, id, cleanContent!, mentions, origin), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The author deletes a message; it stays as a tombstone. Deleting it again succeeds and
    /// changes nothing. Not found and forbidden as for <see cref="EditAsync"/>.
    /// </summary>
    public async Task<ChatResult<MessageChange>> DeleteAsync(
        RoomView room, ChatUser author, long? messageId, object? origin = null, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var id = MessageRules.Id(errors, messageId);
        if (!errors.IsEmpty)
        {
            return ChatResult<MessageChange>.Invalid(errors);
        }

        return await _writer.ChangeAsync(new DeleteMessage(room, author, id, origin), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A page of a room's history, oldest first, as a client asks for it. Without ids: the
    /// newest messages. With <see cref="HistoryRequest.BeforeId"/>: the newest older than it.
    /// With <see cref="HistoryRequest.AfterId"/>: the oldest newer than it.
    /// <see cref="HistoryPage.HasMore"/> tells whether more lie beyond the page in the
    /// direction read. A limit outside 1–100 is a field error.
    /// </summary>
    public async Task<ChatResult<HistoryPage>> ListAsync(long roomId, HistoryRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var limit = MessageRules.HistoryLimit(errors, request.Limit);
        if (!errors.IsEmpty)
        {
            return ChatResult<HistoryPage>.Invalid(errors);
        }

        return ChatResult<HistoryPage>.Ok(await ReadPageAsync(roomId, request.BeforeId, request.AfterId, limit, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// What a client that saw every message up to <paramref name="lastSeenId"/> lacks: the
    /// messages after it, oldest first, up to <see cref="MessageRules.MaxCatchUp"/>. With
    /// <paramref name="lastRev"/>, also the messages up to <paramref name="lastSeenId"/>
    /// changed after that revision, oldest change first, as many at most; read through the
    /// partial <c>(room_id, rev)</c> index, which holds changed messages only.
    /// </summary>
    public async Task<CatchUp> CatchUpAsync(long roomId, long lastSeenId, long? lastRev = null, CancellationToken cancellationToken = default)
    {
        var page = await ReadPageAsync(roomId, null, lastSeenId, MessageRules.MaxCatchUp, cancellationToken).ConfigureAwait(false);
        if (lastRev is not { } rev)
        {
            return new CatchUp(page.Messages, page.HasMore, null, null);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var changed = new List<MessageView>(MessageRules.MaxCatchUp + 1);
        await foreach (var row in _history.ChangedSince(db, roomId, lastSeenId, rev, MessageRules.MaxCatchUp + 1).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            changed.Add(row);
        }

        var changedMore = changed.Count > MessageRules.MaxCatchUp;
        if (changedMore)
        {
            changed.RemoveAt(changed.Count - 1);
        }

        return new CatchUp(page.Messages, page.HasMore, changed, changedMore);
    }

    private async Task<HistoryPage> ReadPageAsync(long roomId, long? beforeId, long? afterId, int limit, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var before = beforeId ?? HistoryQueries.NoUpperBound;
        var after = afterId ?? HistoryQueries.NoLowerBound;
        // One row past the limit answers has_more without a count.
        var query = afterId is null ? _history.NewestFirst : _history.OldestFirst;
        var rows = new List<MessageView>(limit + 1);
        await foreach (var row in query(db, roomId, before, after, limit + 1).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        var hasMore = rows.Count > limit;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (afterId is null)
        {
            rows.Reverse();
        }

        return new HistoryPage(rows, hasMore);
    }
}
