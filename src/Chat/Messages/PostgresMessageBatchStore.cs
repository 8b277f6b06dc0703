using Chat.Persistence;
using Chat.Reactions;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Messages;

/// <summary>
/// PostgreSQL: a batch of new messages in two round trips, whatever its size. The first
/// begins the transaction and reads what the insert depends on; the second carries the
/// insert, the mentions and the <c>COMMIT</c>. One multi-row <c>INSERT … SELECT FROM unnest(arrays)</c>
/// carries every message; the arrays travel in Npgsql's binary format, so there is no SQL
/// text to build and no per-row statement.
/// </summary>
/// <remarks>
/// <para>Every batch takes one transaction-scoped advisory lock first. Writers on several nodes
/// then commit one after another, and ids are allocated in commit order, so a reader that
/// has seen id N has seen every id below N: catching up with <c>id &gt; last_seen_id</c>
/// can never skip a message that committed late. The transaction also sets
/// <c>idle_in_transaction_session_timeout</c>, so a node that dies (or loses the network)
/// mid-batch holds that lock for <see cref="AbandonedAfter"/> at most, not until TCP gives up
/// on its connection.</para>
/// <para>The first round trip also reads the transaction's id (<c>txid_current()</c>), for
/// <see cref="CommittedAsync"/>: when the answer to <c>COMMIT</c> is lost, a new connection asks
/// <c>txid_status</c> whether that transaction committed. That is why a batch is two round
/// trips and not one: the id must be in hand before the <c>COMMIT</c> is sent. The first also
/// locks the batch's rooms (<c>FOR KEY SHARE</c>, as the foreign key's own check does): a
/// message to a room deleted while it waited is left out and answered alone, instead of
/// failing the whole insert.</para>
/// <para>The <c>COMMIT</c> travels with the last insert, not after its answer: the writer's
/// commit used to wait for the server's thread pool to read the insert's ids and send it,
/// about a fifth of a batch's time under load, while the transaction held the lock that
/// every other writer waits for.</para>
/// </remarks>
internal sealed class PostgresMessageBatchStore(ChatDatabase database, PostgresSearchIndexCleaner searchIndexCleaner) : IMessageBatchStore
{
    // "chatmsgs" in ASCII: the key of the advisory lock that orders message commits.
    internal const long CommitOrderLock = 0x63686174_6d736773;
    private const string ForeignKeyViolation = "23503";

    /// <summary>How long the writer's transaction may sit idle before PostgreSQL ends it; the writer never pauses inside one.</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(10);

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

    // Explicit, so that a database whose default_transaction_isolation was changed still
    // runs the writer as it was written for.
    private const string BeginSql = "BEGIN ISOLATION LEVEL READ COMMITTED";
    private const string CommitSql = "COMMIT";

    private readonly NpgsqlDataSource _dataSource = database.PostgresDataSource
        ?? throw new InvalidOperationException("The PostgreSQL store needs a PostgreSQL database.");

    // The last attempt, for CommittedAsync: its transaction's id, and whether its COMMIT was sent or answered.
    private long _transactionId;
    private Phase _phase;
    private PostgresLastInsert? _lastInsert;

    private enum Phase
    {
        Writing,
        Committing,
        Committed,
    }

    public async Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, AnswerDeadline deadline)
    {
        _phase = Phase.Writing;
        try
        {
            await WriteBatchAsync(batch, now, deadline).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // The connection broke (or timed out): the pool's other idle connections to that
            // server are likely dead too, and the next attempt should not find them first.
            _dataSource.Clear();
            throw;
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingWrite> batch, DateTime now, AnswerDeadline deadline)
    {
        // The transaction is begun and committed in SQL, inside the batches, rather than with
        // an NpgsqlTransaction: its COMMIT then goes out in the same round trip as the last
        // insert. A connection given back in a transaction (the batch threw) is rolled back
        // by the pool.
        await using var connection = await _dataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
        deadline.Answered();

        var start = await BeginAsync(connection, batch, deadline).ConfigureAwait(false);
        _transactionId = start.TransactionId;
        var firstInBatch = new Dictionary<(long, long, string), PendingMessage>();
        var repeats = new List<PendingMessage>();
        var run = new List<PendingMessage>(batch.Count);
        foreach (var write in batch)
        {
            write.Refusal = WriteRefusal.None;
            if (write is not PendingMessage message)
            {
                // A change sees every message queued before it: the run so far goes in first.
                await InsertAsync(connection, run, now, deadline, commit: false).ConfigureAwait(false);
                await ApplyAsync(connection, (PendingChange)write, now, deadline).ConfigureAwait(false);
                continue;
            }

            message.Stored = null;
            if (!start.Rooms.Contains(message.RoomId))
            {
                message.Refusal = WriteRefusal.RoomGone;
                continue;
            }

            if (message.ClientId is { } clientId)
            {
                var key = (message.RoomId, message.Author.Id, clientId);
                if (start.Originals.TryGetValue(key, out var original))
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

        var last = new PostgresLastInsert(_transactionId, start.IdFloor, now, [.. run], repeats, firstInBatch);
        _lastInsert = last;
        _phase = Phase.Committing;
        try
        {
            await InsertAsync(connection, run, now, deadline, commit: true).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.InvariantSeverity == "ERROR" && ex.BatchCommand is { CommandText: not CommitSql })
        {
            // The database refused a statement before the COMMIT, and skipped the rest of the
            // round trip: nothing committed, and there is nothing to ask it afterwards. (A
            // FATAL error, a backend terminated, say, may come after a COMMIT: that is asked.)
            _phase = Phase.Writing;
            throw;
        }

        _phase = Phase.Committed;
        _lastInsert = null;
        last.AnswerRepeats();
        if (last.Inserted)
        {
            searchIndexCleaner.MessagesStored();
        }
    }

    /// <summary>
    /// After a failed write: false when it failed before its COMMIT was sent; else what
    /// PostgreSQL says of its transaction, asked on a new connection (which, when it did
    /// commit, also reads back the ids of the insert that went with the COMMIT). A transaction still in
    /// progress (the old backend has not yet noticed that its client is gone, or is still
    /// committing) is asked about again until it ends, as long as the token allows.
    /// </summary>
    public async Task<bool> CommittedAsync(CancellationToken cancellationToken)
    {
        if (_phase != Phase.Committing)
        {
            return _phase == Phase.Committed;
        }

        while (true)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var status = new NpgsqlCommand("SELECT txid_status(@id)", connection) { Parameters = { new("id", _transactionId) } };
            switch (await status.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))
            {
                case "committed":
                    if (_lastInsert is { } last)
                    {
                        // The answer to the COMMIT carried the ids of the last insert too.
                        await last.ReadBackAsync(connection, cancellationToken).ConfigureAwait(false);
                        _lastInsert = null;
                    }

                    _phase = Phase.Committed;
                    return true;
                case "aborted":
                    _phase = Phase.Writing;
                    return false;
                case "in progress":
                    await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
                    break;
                case var other:
                    throw new InvalidOperationException($"PostgreSQL cannot tell whether transaction {_transactionId} committed (txid_status: {other ?? "null"}).");
            }
        }
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var probe = new NpgsqlCommand("SELECT 1", connection);
            await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            _dataSource.Clear();
            throw;
        }
    }

    /// <summary>
    /// What the database refuses in a batch is a data exception (class 22: a NUL character, a
    /// value too long for its column), an integrity violation (23: a room that is gone), or a
    /// limit (54: a row too large). Anything else is the database's state (the connection
    /// broke, a timeout, a shutdown, a read-only standby, a full disk): the batch goes again.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.Length != 5 || postgres.SqlState[..2] is not ("22" or "23" or "54"),
        NpgsqlException or OperationCanceledException or TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>
    /// The first round trip of a batch: BEGIN, the commit-order lock, the transaction's id, the
    /// newest message id committed before it, the rooms
    /// that exist among the batch's (locked until it commits), and the stored originals of its
    /// client_ids.
    /// </summary>
    private static async Task<BatchStart> BeginAsync(
        NpgsqlConnection connection, IReadOnlyList<PendingWrite> batch, AnswerDeadline deadline)
    {
        var messages = batch.OfType<PendingMessage>().ToArray();
        var keyed = messages.Where(m => m.ClientId is not null).ToArray();
        await using var commands = new NpgsqlBatch(connection);
        commands.BatchCommands.Add(new NpgsqlBatchCommand(BeginSql));
        commands.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT set_config('idle_in_transaction_session_timeout', @idle, true), pg_advisory_xact_lock(@lock), txid_current()")
        {
            Parameters =
            {
                new("idle", ((long)AbandonedAfter.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("lock", CommitOrderLock),
            },
        });
        // A statement of its own, after the lock: its snapshot then holds every message committed before it.
        commands.BatchCommands.Add(new NpgsqlBatchCommand("SELECT coalesce(max(id), 0) FROM messages"));
        if (messages.Length > 0)
        {
            commands.BatchCommands.Add(new NpgsqlBatchCommand("SELECT id FROM rooms WHERE id = ANY(@ids) FOR KEY SHARE")
            {
                Parameters = { new("ids", messages.Select(m => m.RoomId).Distinct().ToArray()) },
            });
        }

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

        await using var reader = await commands.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false);
        deadline.Answered();
        await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
        var transactionId = reader.GetInt64(2);
        await reader.NextResultAsync(deadline.Token).ConfigureAwait(false);
        await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
        var idFloor = reader.GetInt64(0);

        var rooms = new HashSet<long>();
        if (messages.Length > 0)
        {
            await reader.NextResultAsync(deadline.Token).ConfigureAwait(false);
            while (await reader.ReadAsync(deadline.Token).ConfigureAwait(false))
            {
                rooms.Add(reader.GetInt64(0));
            }
        }

        var originals = new Dictionary<(long, long, string), MessageView>();
        if (keyed.Length > 0)
        {
            await reader.NextResultAsync(deadline.Token).ConfigureAwait(false);
            while (await reader.ReadAsync(deadline.Token).ConfigureAwait(false))
            {
                var message = ReadMessage(reader);
                originals[(message.RoomId, message.UserId, reader.GetString(MessageColumnCount))] = message;
            }
        }

        return new BatchStart(transactionId, idFloor, rooms, originals);
    }

    /// <param name="IdFloor">The newest message id committed before this batch: every id it inserts is above.</param>
    private sealed record BatchStart(long TransactionId, long IdFloor, HashSet<long> Rooms, Dictionary<(long, long, string), MessageView> Originals);

    /// <summary>
    /// Inserts a run of new messages and their mentions in one statement, and clears the run;
    /// with <paramref name="commit"/>, the COMMIT goes in the same round trip. No statement
    /// for an empty run.
    /// </summary>
    private static async Task InsertAsync(
        NpgsqlConnection connection, List<PendingMessage> run, DateTime now, AnswerDeadline deadline, bool commit)
    {
        if (run.Count == 0 && !commit)
        {
            return;
        }

        await using var commands = new NpgsqlBatch(connection);
        if (run.Count > 0)
        {
            commands.BatchCommands.Add(PostgresInsertStatement.Create(run, now));
        }

        if (commit)
        {
            commands.BatchCommands.Add(new NpgsqlBatchCommand(CommitSql));
        }

        // Rows come back in id order, which is the insert order: identity values follow it.
        var ids = new (long Id, long PreviousId)[run.Count];
        var count = 0;
        await using (var reader = await commands.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false))
        {
            deadline.Answered();
            while (await reader.ReadAsync(deadline.Token).ConfigureAwait(false))
            {
                ids[count++] = (reader.GetInt64(0), reader.GetInt64(1));
            }

            // The COMMIT's answer (or its error) is read with the rest of the round trip.
            while (await reader.NextResultAsync(deadline.Token).ConfigureAwait(false))
            {
            }
        }

        for (var i = 0; i < run.Count; i++)
        {
            run[i].Stored = new PostedMessage(run[i].ToView(ids[i].Id, now), Created: true, ids[i].PreviousId);
        }

        run.Clear();
    }

    /// <summary>Stores an edit's mentions in one statement; nothing when there are none.</summary>
    private static async Task InsertMentionsAsync(
        NpgsqlConnection connection, List<(long MessageId, long UserId, long RoomId)> mentions, AnswerDeadline deadline)
    {
        if (mentions.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO mentions (message_id, user_id, room_id) SELECT * FROM unnest(@message_ids, @user_ids, @room_ids)", connection)
        {
            Parameters =
            {
                new("message_ids", mentions.Select(m => m.MessageId).ToArray()),
                new("user_ids", mentions.Select(m => m.UserId).ToArray()),
                new("room_ids", mentions.Select(m => m.RoomId).ToArray()),
            },
        };
        await insert.ExecuteNonQueryAsync(deadline.Token).ConfigureAwait(false);
        deadline.Answered();
    }

    /// <summary>
    /// Decides a change against the message as it stands in this transaction and stores what
    /// it decided, with the next number of the id sequence as its revision: the advisory lock
    /// taken first makes that number follow commit order across nodes (see <see cref="Revisions"/>).
    /// </summary>
    private static async Task ApplyAsync(
        NpgsqlConnection connection, PendingChange change, DateTime now, AnswerDeadline deadline)
    {
        MessageView? current = null;
        await using (var load = new NpgsqlCommand(LoadSql, connection) { Parameters = { new("id", change.MessageId) } })
        await using (var reader = await load.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false))
        {
            deadline.Answered();
            if (await reader.ReadAsync(deadline.Token).ConfigureAwait(false))
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

        await using var update = new NpgsqlCommand(UpdateSql, connection)
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
        var rev = (long)(await update.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false))!;
        deadline.Answered();
        IReadOnlyList<long>? mentioned = null;
        if (change.Mentions is { } mentions)
        {
            // An edit's mentions replace the old ones; those not mentioned before are told.
            var before = new HashSet<long>();
            await using (var delete = new NpgsqlCommand("DELETE FROM mentions WHERE message_id = @id RETURNING user_id", connection) { Parameters = { new("id", change.MessageId) } })
            await using (var reader = await delete.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false))
            {
                deadline.Answered();
                while (await reader.ReadAsync(deadline.Token).ConfigureAwait(false))
                {
                    before.Add(reader.GetInt64(0));
                }
            }

            await InsertMentionsAsync(connection, [.. mentions.Select(userId => (change.MessageId, userId, change.Room.Id))], deadline).ConfigureAwait(false);
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

    public bool IsMissingRoom(Exception exception) =>
        exception is PostgresException { SqlState: ForeignKeyViolation, ConstraintName: "fk_messages_rooms_room_id" };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
