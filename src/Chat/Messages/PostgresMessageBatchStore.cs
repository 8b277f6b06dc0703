using Chat.Persistence;
using Chat.Reactions;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Messages;

/// <summary>
/// PostgreSQL: the whole batch in three round trips, whatever its size. One multi-row
/// <c>INSERT … SELECT FROM unnest(arrays)</c> carries every message; the arrays travel in
/// Npgsql's binary format, so there is no SQL text to build and no per-row statement.
/// </summary>
/// <remarks>
/// Every batch takes one transaction-scoped advisory lock first. Writers on several nodes
/// then commit one after another, and ids are allocated in commit order, so a reader that
/// has seen id N has seen every id below N: catching up with <c>id &gt; last_seen_id</c>
/// can never skip a message that committed late.
/// </remarks>
internal sealed class PostgresMessageBatchStore(ChatDatabase database) : IMessageBatchStore
{
    // "chatmsgs" in ASCII: the key of the advisory lock that orders message commits.
    internal const long CommitOrderLock = 0x63686174_6d736773;
    private const string ForeignKeyViolation = "23503";

    /// <summary>The columns <see cref="ReadMessage"/> reads, in its order.</summary>
    private const string MessageColumns = "id, room_id, user_id, username, content, inserted_at, edited_at, deleted_at, reactions, rev";
    private const int MessageColumnCount = 10;

    // One probe of the unique (client_id, room_id, user_id) index per key, whatever the
    // statistics say: LIMIT 1 keeps the planner from flattening the lateral subquery into a
    // plain join. As a plain join it is free to hash the whole messages table instead, and
    // it did whenever it underestimated the table (before autovacuum's first ANALYZE it
    // guessed 2,300 rows where there were 9,600): every batch then read every message.
    private const string FindOriginalsSql = $"""
        SELECT m.*
        FROM unnest(@room_ids, @user_ids, @client_ids) AS k(room_id, user_id, client_id)
        CROSS JOIN LATERAL (
            SELECT {MessageColumns}, o.client_id
            FROM messages o
            WHERE o.room_id = k.room_id AND o.user_id = k.user_id AND o.client_id = k.client_id
            LIMIT 1) AS m
        """;

    private const string LoadSql = $"SELECT {MessageColumns} FROM messages WHERE id = @id";

    private const string UpdateSql = $"""
        UPDATE messages
        SET content = @content, edited_at = @edited_at, deleted_at = @deleted_at, reactions = @reactions,
            rev = ({Revisions.PostgresNext}), updated_at = @now,
            search = CASE WHEN @reindex THEN array_to_tsvector(string_to_array(NULLIF(@document, ''), ' ')) ELSE search END
        WHERE id = @id
        RETURNING rev
        """;

    // ORDER BY ord makes the identity values follow the batch's order. The search column holds
    // the message's words as they are (SearchText): array_to_tsvector applies no parser and
    // no dictionary, so the index matches exactly what the same words find on SQLite.
    // Each row also gets the id of the message before it in its room: the one before it in
    // this statement, else the room's newest before the statement (which the outer query
    // sees, not the CTE's rows). The advisory lock makes that exact: no other commit can
    // come between, so a room's broadcasts can be put in one order across nodes.
    private const string InsertSql = """
        WITH inserted AS (
            INSERT INTO messages (content, user_id, username, room_id, client_id, inserted_at, updated_at, search)
            SELECT t.content, t.user_id, t.username, t.room_id, t.client_id, @now, @now, array_to_tsvector(string_to_array(t.document, ' '))
            FROM unnest(@contents, @user_ids, @usernames, @room_ids, @client_ids, @documents)
                 WITH ORDINALITY AS t(content, user_id, username, room_id, client_id, document, ord)
            ORDER BY t.ord
            RETURNING id, room_id)
        SELECT i.id, coalesce(
            lag(i.id) OVER (PARTITION BY i.room_id ORDER BY i.id),
            (SELECT max(o.id) FROM messages o WHERE o.room_id = i.room_id),
            0)
        FROM inserted i
        ORDER BY i.id
        """;

    private readonly NpgsqlDataSource _dataSource = database.PostgresDataSource
        ?? throw new InvalidOperationException("The PostgreSQL store needs a PostgreSQL database.");

    public async Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        var originals = await LockAndFindOriginalsAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);
        var firstInBatch = new Dictionary<(long, long, string), PendingMessage>();
        var repeats = new List<PendingMessage>();
        var run = new List<PendingMessage>(batch.Count);
        foreach (var write in batch)
        {
            if (write is not PendingMessage message)
            {
                // A change sees every message queued before it: the run so far goes in first.
                await InsertAsync(connection, transaction, run, now, cancellationToken).ConfigureAwait(false);
                await ApplyAsync(connection, transaction, (PendingChange)write, now, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (message.ClientId is { } clientId)
            {
                var key = (message.RoomId, message.Author.Id, clientId);
                if (originals.TryGetValue(key, out var original))
                {
                    message.Stored = new PostedMessage(original, Created: false);
                    continue;
                }

                if (!firstInBatch.TryAdd(key, message))
                {
                    // A retry inside the same batch: it gets the first send's result, below.
                    repeats.Add(message);
                    continue;
                }
            }

            run.Add(message);
        }

        await InsertAsync(connection, transaction, run, now, cancellationToken).ConfigureAwait(false);
        foreach (var repeat in repeats)
        {
            repeat.Stored = firstInBatch[(repeat.RoomId, repeat.Author.Id, repeat.ClientId!)].Stored! with { Created = false };
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Dictionary<(long, long, string), MessageView>> LockAndFindOriginalsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingWrite> batch, CancellationToken cancellationToken)
    {
        var keyed = batch.OfType<PendingMessage>().Where(m => m.ClientId is not null).ToArray();
        await using var commands = new NpgsqlBatch(connection, transaction);
        commands.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(@lock)") { Parameters = { new("lock", CommitOrderLock) } });
        if (keyed.Length > 0)
        {
            commands.BatchCommands.Add(new NpgsqlBatchCommand(FindOriginalsSql)
            {
                Parameters =
                {
                    new("room_ids", keyed.Select(m => m.RoomId).ToArray()),
                    new("user_ids", keyed.Select(m => m.Author.Id).ToArray()),
                    new("client_ids", keyed.Select(m => m.ClientId!).ToArray()),
                },
            });
        }

        var originals = new Dictionary<(long, long, string), MessageView>();
        await using var reader = await commands.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (keyed.Length > 0)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var message = ReadMessage(reader);
                originals[(message.RoomId, message.UserId, reader.GetString(MessageColumnCount))] = message;
            }
        }

        return originals;
    }

    /// <summary>Inserts a run of new messages in one statement and clears the run; nothing when it is empty.</summary>
    private static async Task InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<PendingMessage> run, DateTime now, CancellationToken cancellationToken)
    {
        if (run.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand(InsertSql, connection, transaction)
        {
            Parameters =
            {
                new("contents", run.Select(m => m.Content).ToArray()),
                new("user_ids", run.Select(m => m.Author.Id).ToArray()),
                new("usernames", run.Select(m => m.Author.Username).ToArray()),
                new("room_ids", run.Select(m => m.RoomId).ToArray()),
                new("client_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = run.Select(m => m.ClientId).ToArray() },
                new("documents", run.Select(m => m.SearchDocument).ToArray()),
                new("now", NpgsqlDbType.TimestampTz) { Value = now },
            },
        };

        // Rows come back in id order, which is the insert order: identity values follow it.
        var ids = new (long Id, long PreviousId)[run.Count];
        var count = 0;
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids[count++] = (reader.GetInt64(0), reader.GetInt64(1));
            }
        }

        var mentions = new List<(long MessageId, long UserId, long RoomId)>();
        for (var i = 0; i < run.Count; i++)
        {
            run[i].Stored = new PostedMessage(run[i].ToView(ids[i].Id, now), Created: true, ids[i].PreviousId);
            mentions.AddRange(run[i].Mentions.Select(userId => (ids[i].Id, userId, run[i].RoomId)));
        }

        await InsertMentionsAsync(connection, transaction, mentions, cancellationToken).ConfigureAwait(false);
        run.Clear();
    }

    /// <summary>Stores mentions in one statement; nothing when there are none, as for most batches.</summary>
    private static async Task InsertMentionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<(long MessageId, long UserId, long RoomId)> mentions, CancellationToken cancellationToken)
    {
        if (mentions.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO mentions (message_id, user_id, room_id) SELECT * FROM unnest(@message_ids, @user_ids, @room_ids)", connection, transaction)
        {
            Parameters =
            {
                new("message_ids", mentions.Select(m => m.MessageId).ToArray()),
                new("user_ids", mentions.Select(m => m.UserId).ToArray()),
                new("room_ids", mentions.Select(m => m.RoomId).ToArray()),
            },
        };
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Decides a change against the message as it stands in this transaction and stores what
    /// it decided, with the next number of the id sequence as its revision: the advisory lock
    /// taken first makes that number follow commit order across nodes (see <see cref="Revisions"/>).
    /// </summary>
    private static async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, PendingChange change, DateTime now, CancellationToken cancellationToken)
    {
        MessageView? current = null;
        await using (var load = new NpgsqlCommand(LoadSql, connection, transaction) { Parameters = { new("id", change.MessageId) } })
        await using (var reader = await load.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                current = ReadMessage(reader);
            }
        }

        var decision = change.Decide(current, now);
        if (decision is not ChangeDecision.Apply apply)
        {
            change.Outcome = change.Resolve(decision, current);
            return;
        }

        await using var update = new NpgsqlCommand(UpdateSql, connection, transaction)
        {
            Parameters =
            {
                new("content", apply.Message.Content),
                new("edited_at", NpgsqlDbType.TimestampTz) { Value = (object?)apply.Message.EditedAt ?? DBNull.Value },
                new("deleted_at", NpgsqlDbType.TimestampTz) { Value = apply.Message.Deleted ? now : DBNull.Value },
                new("reactions", NpgsqlDbType.Text) { Value = (object?)apply.Message.Reactions.ToColumn() ?? DBNull.Value },
                new("now", NpgsqlDbType.TimestampTz) { Value = now },
                new("reindex", change.SearchDocument is not null),
                new("document", NpgsqlDbType.Text) { Value = (object?)change.SearchDocument ?? DBNull.Value },
                new("id", change.MessageId),
            },
        };
        var rev = (long)(await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        IReadOnlyList<long>? mentioned = null;
        if (change.Mentions is { } mentions)
        {
            // An edit's mentions replace the old ones; those not mentioned before are told.
            var before = new HashSet<long>();
            await using (var delete = new NpgsqlCommand("DELETE FROM mentions WHERE message_id = @id RETURNING user_id", connection, transaction) { Parameters = { new("id", change.MessageId) } })
            await using (var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    before.Add(reader.GetInt64(0));
                }
            }

            await InsertMentionsAsync(connection, transaction, [.. mentions.Select(userId => (change.MessageId, userId, change.Room.Id))], cancellationToken).ConfigureAwait(false);
            mentioned = [.. mentions.Where(id => !before.Contains(id))];
        }

        change.Outcome = change.Resolve(decision, apply.Message with { Rev = rev }, mentioned);
    }

    /// <summary>A message from <see cref="MessageColumns"/>.</summary>
    private static MessageView ReadMessage(NpgsqlDataReader reader)
    {
        var id = reader.GetInt64(0);
        return new MessageView(
            id, reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetDateTime(5),
            reader.IsDBNull(6) ? null : reader.GetDateTime(6),
            !reader.IsDBNull(7),
            MessageReactions.FromJson(reader.IsDBNull(8) ? null : reader.GetString(8)),
            reader.IsDBNull(9) ? id : reader.GetInt64(9));
    }

    public bool IsMissingRoom(Exception exception) => exception is PostgresException { SqlState: ForeignKeyViolation };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
