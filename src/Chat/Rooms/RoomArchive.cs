using System.Runtime.CompilerServices;
using Chat.Accounts;
using Chat.Mentions;
using Chat.Messages;
using Chat.Persistence;
using Chat.Search;
using Chat.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Rooms;

/// <summary>
/// A room and its history, out of one install and into another (the admin commands
/// <c>export-room</c> and <c>import-room</c>). Imported messages keep their authors and their
/// times, and get new ids in their original order; they are searchable and their mentions
/// count, as for messages sent.
/// </summary>
public sealed class RoomArchive
{
    private const int PageSize = 1000;

    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly ChatDatabase _database;
    private readonly RoomService _rooms;
    private readonly HistoryQueries _history = new();
    private readonly MentionResolver _mentions;
    private readonly int _maxMessageLength;

    internal RoomArchive(IDbContextFactory<ChatDbContext> contexts, ChatDatabase database, RoomService rooms, IOptions<ChatOptions> options)
    {
        _contexts = contexts;
        _database = database;
        _rooms = rooms;
        _mentions = new MentionResolver(contexts);
        _maxMessageLength = options.Value.MaxMessageLength;
    }

    /// <summary>Every message of a room, oldest first, a page at a time, however many there are.</summary>
    public async IAsyncEnumerable<MessageView> ReadAsync(long roomId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = HistoryQueries.NoLowerBound;
        while (true)
        {
            var page = new List<MessageView>(PageSize);
            await using (var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                await foreach (var message in _history.OldestFirst(db, roomId, HistoryQueries.NoUpperBound, after, PageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    page.Add(message);
                }
            }

            foreach (var message in page)
            {
                yield return message;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Id;
        }
    }

    /// <summary>
    /// The errors of one archived message under the rules every message follows (and a username
    /// and an author id), or null. Check a whole archive before importing it.
    /// </summary>
    public FieldErrors? Check(ArchivedMessage message)
    {
        var errors = new FieldErrors();
        MessageRules.Content(errors, message.Content, _maxMessageLength);
        AccountRules.AuthorName(errors, "username", message.Username);
        if (message.UserId < 1)
        {
            errors.Add("user_id", ErrorMessages.NumberAtLeast(1));
        }

        if (message.InsertedAt is null)
        {
            errors.Add("inserted_at", ErrorMessages.Blank);
        }

        return errors.IsEmpty ? null : errors;
    }

    /// <summary>
    /// Creates a room (a new slug, by the usual rules) and adds the messages to it in their
    /// order. Each batch commits under the same ordering as the message writer, so clients in
    /// the new room catch up correctly even while it fills. Messages that fail
    /// <see cref="Check"/> are an error: check first. If storing fails part way, the room is
    /// removed again, with whatever was stored.
    /// </summary>
    public async Task<ChatResult<ImportedRoom>> ImportAsync(
        string? name, string? description, IAsyncEnumerable<ArchivedMessage> messages, CancellationToken cancellationToken = default)
    {
        var created = await _rooms.CreateAsync(name, description, cancellationToken).ConfigureAwait(false);
        if (!created.IsOk)
        {
            return created.Cast<ImportedRoom>();
        }

        var room = created.Value!;
        long count = 0;
        try
        {
            var batch = new List<ArchivedMessage>(PageSize);
            await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (Check(message) is { } errors)
                {
                    throw new InvalidDataException($"message {count + batch.Count + 1}: {errors}");
                }

                batch.Add(message);
                if (batch.Count == PageSize)
                {
                    count += await InsertAsync(room.Id, batch, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            count += await InsertAsync(room.Id, batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _rooms.DeleteAsync(room.Slug, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return ChatResult<ImportedRoom>.Ok(new ImportedRoom(room, count));
    }

    /// <summary>
    /// Stores a batch of archived messages in one transaction, with everything the message
    /// writer stores beside a message: its words in the search index and the users it
    /// mentions, so that an imported message is found and counted like one that was sent.
    /// </summary>
    private async Task<int> InsertAsync(long roomId, List<ArchivedMessage> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var messages = batch.Select(message =>
        {
            var insertedAt = Clock.TruncateToMilliseconds(message.InsertedAt!.Value.ToUniversalTime());
            return new Message
            {
                RoomId = roomId,
                UserId = message.UserId,
                Username = message.Username!.Trim(),
                Content = message.Content!.Trim(),
                InsertedAt = insertedAt,
                UpdatedAt = insertedAt,
            };
        }).ToList();
        var mentions = await _mentions.ResolveAsync([.. messages.Select(m => (m.Content, m.UserId))], cancellationToken).ConfigureAwait(false);

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_database.Provider == DatabaseProvider.Postgres)
        {
            // Ids in commit order, as the writer keeps them (PostgresMessageBatchStore).
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({PostgresMessageBatchStore.CommitOrderLock})", cancellationToken).ConfigureAwait(false);
        }

        db.Messages.AddRange(messages);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.Mentions.AddRange(messages.SelectMany((message, i) => mentions[i].Select(userId => new Mention { MessageId = message.Id, UserId = userId, RoomId = roomId })));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await SearchIndex.AddAsync(db, _database.Provider, [.. messages.Select(m => (m.Id, SearchText.Document(roomId, m.Content)))], cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return batch.Count;
    }
}

/// <summary>A message as an archive holds it: its author, its text and when it was sent.</summary>
public sealed record ArchivedMessage(long UserId, string? Username, string? Content, DateTime? InsertedAt);

/// <summary>The room an import made, and how many messages it holds.</summary>
public sealed record ImportedRoom(RoomView Room, long Messages);
