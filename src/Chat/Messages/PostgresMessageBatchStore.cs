using Chat.Persistence;
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

    // One probe of the unique (client_id, room_id, user_id) index per key, whatever the
    // statistics say: LIMIT 1 keeps the planner from flattening the lateral subquery into a
    // plain join. As a plain join it is free to hash the whole messages table instead, and
    // it did whenever it underestimated the table (before autovacuum's first ANALYZE it
    // guessed 2,300 rows where there were 9,600): every batch then read every message.
    private const string FindOriginalsSql = """
        SELECT m.room_id, m.user_id, m.client_id, m.id, m.username, m.content, m.inserted_at
        FROM unnest(@room_ids, @user_ids, @client_ids) AS k(room_id, user_id, client_id)
        CROSS JOIN LATERAL (
            SELECT o.room_id, o.user_id, o.client_id, o.id, o.username, o.content, o.inserted_at
            FROM messages o
            WHERE o.room_id = k.room_id AND o.user_id = k.user_id AND o.client_id = k.client_id
            LIMIT 1) AS m
        """;

    // ORDER BY ord makes the identity values follow the batch's order.
    private const string InsertSql = """
        INSERT INTO messages (content, user_id, username, room_id, client_id, inserted_at, updated_at)
        SELECT t.content, t.user_id, t.username, t.room_id, t.client_id, @now, @now
        FROM unnest(@contents, @user_ids, @usernames, @room_ids, @client_ids)
             WITH ORDINALITY AS t(content, user_id, username, room_id, client_id, ord)
        ORDER BY t.ord
        RETURNING id
        """;

    private readonly NpgsqlDataSource _dataSource = database.PostgresDataSource
        ?? throw new InvalidOperationException("The PostgreSQL store needs a PostgreSQL database.");

    public async Task<PostedMessage[]> WriteAsync(IReadOnlyList<PendingMessage> batch, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        var originals = await LockAndFindOriginalsAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);
        var results = new PostedMessage[batch.Count];
        var toInsert = new List<int>(batch.Count);
        var firstInBatch = new Dictionary<(long, long, string), int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            if (message.ClientId is { } clientId)
            {
                var key = (message.RoomId, message.Author.Id, clientId);
                if (originals.TryGetValue(key, out var original))
                {
                    results[i] = new PostedMessage(original, Created: false);
                    continue;
                }

                if (!firstInBatch.TryAdd(key, i))
                {
                    // A retry inside the same batch: it gets the first send's result, filled in below.
                    results[i] = null!;
                    continue;
                }
            }

            toInsert.Add(i);
        }

        if (toInsert.Count > 0)
        {
            var ids = await InsertAsync(connection, transaction, batch, toInsert, now, cancellationToken).ConfigureAwait(false);
            for (var n = 0; n < toInsert.Count; n++)
            {
                results[toInsert[n]] = new PostedMessage(batch[toInsert[n]].ToView(ids[n], now), Created: true);
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is null)
            {
                var message = batch[i];
                var first = results[firstInBatch[(message.RoomId, message.Author.Id, message.ClientId!)]];
                results[i] = first with { Created = false };
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return results;
    }

    private static async Task<Dictionary<(long, long, string), MessageView>> LockAndFindOriginalsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingMessage> batch, CancellationToken cancellationToken)
    {
        var keyed = batch.Where(m => m.ClientId is not null).ToArray();
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
                var roomId = reader.GetInt64(0);
                var userId = reader.GetInt64(1);
                originals[(roomId, userId, reader.GetString(2))] = new MessageView(
                    reader.GetInt64(3), roomId, userId, reader.GetString(4), reader.GetString(5), reader.GetDateTime(6));
            }
        }

        return originals;
    }

    private static async Task<long[]> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingMessage> batch,
        List<int> rows, DateTime now, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(InsertSql, connection, transaction)
        {
            Parameters =
            {
                new("contents", rows.Select(i => batch[i].Content).ToArray()),
                new("user_ids", rows.Select(i => batch[i].Author.Id).ToArray()),
                new("usernames", rows.Select(i => batch[i].Author.Username).ToArray()),
                new("room_ids", rows.Select(i => batch[i].RoomId).ToArray()),
                new("client_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(i => batch[i].ClientId).ToArray() },
                new("now", NpgsqlDbType.TimestampTz) { Value = now },
            },
        };

        var ids = new long[rows.Count];
        var count = 0;
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids[count++] = reader.GetInt64(0);
            }
        }

        // Identity values follow the insert order; sorting guards against a plan that returns rows otherwise.
        Array.Sort(ids);
        return ids;
    }

    public bool IsMissingRoom(Exception exception) => exception is PostgresException { SqlState: ForeignKeyViolation };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
