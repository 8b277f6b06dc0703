using Chat.Persistence;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Chat.Messages;

/// <summary>
/// SQLite: one connection owned by the writer, two prepared statements, and one
/// <c>BEGIN IMMEDIATE</c> transaction per batch. In-process inserts cost microseconds; the
/// commit's fsync is the real price, and the batch pays it once.
/// </summary>
/// <remarks>
/// <para>The insert has no <c>RETURNING</c> clause on purpose. SQLite runs <c>RETURNING</c> as a
/// trigger, which makes every insert a multi-write statement, and inside a transaction such
/// a statement gets its own statement journal: SQLite copies every page the insert touches
/// (the table's and each index's) into a temp file before changing it, so that it could
/// undo this one statement. For a batch that is several times the bytes of the WAL itself,
/// and two write system calls per page. Without <c>RETURNING</c> no statement journal is
/// needed; the changes count says whether the row went in, and the connection's last
/// insert rowid is its id.</para>
/// <para>A message to a room deleted while it waited fails alone: SQLite refuses it with a
/// foreign key error that undoes that one statement and keeps the transaction, so the writer
/// answers it with a field error and the rest of the batch commits, with no retry.</para>
/// <para>The store runs synchronously on the writer's task: a commit stuck in an fsync cannot be
/// cancelled. The writer notices it from its deadlines' timer all the same and refuses new
/// writes until the commit returns.</para>
/// </remarks>
internal sealed class SqliteMessageBatchStore(ChatDatabase database, SqliteCheckpointer checkpointer) : IMessageBatchStore
{
    private const int ConstraintForeignKey = 787;

    // The writer's page cache: 64 MiB (a negative cache_size counts KiB) instead of SQLite's
    // 2 MiB default. Keys that are not time-ordered put a batch's entries on leaves scattered
    // over the unique client_id index, besides the table's and the other indexes' last pages;
    // with 2 MiB most of those pages were read back from the file on every batch.
    // Only this one connection gets it, and SQLite allocates it as pages are used.
    // No automatic checkpoints on the writer's commits: SqliteCheckpointer, which the context
    // runs beside the writer, does them aside.
    private const string WriterCacheSql = "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=0;";

    private SqliteConnection? _connection;
    private SqliteInsertStatement? _insert;
    private SqliteCommand? _findOriginal;
    private SqliteChangeStatements? _changes;

    // The last attempt, for CommittedAsync: how far it got, and the last row it wrote with
    // the batch's time, which is in the database if and only if the batch committed.
    private Phase _phase;
    private long _lastWrittenId;
    private string? _lastTimestamp;

    private enum Phase
    {
        Writing,
        Committing,
        Committed,
    }

    public Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, AnswerDeadline deadline)
    {
        _phase = Phase.Writing;
        _lastWrittenId = 0;
        try
        {
            Write(batch, now);
            return Task.CompletedTask;
        }
        catch
        {
            // A failed statement can leave the connection in any state: start afresh next time.
            Reset();
            throw;
        }
    }

    private void Write(IReadOnlyList<PendingWrite> batch, DateTime now)
    {
        EnsureOpen();
        var timestamp = _lastTimestamp = SqliteInsertStatement.Format(now);
        using var transaction = _connection!.BeginTransaction(deferred: false);
        _findOriginal!.Transaction = transaction;
        _changes!.Enlist(transaction);
        foreach (var write in batch)
        {
            write.Refusal = WriteRefusal.None;
            if (write is PendingMessage message)
            {
                Insert(message, timestamp, now);
            }
            else
            {
                _changes.Apply((PendingChange)write, now, timestamp);
                if (((PendingChange)write).Outcome is { IsOk: true, Value.Changed: true } changed)
                {
                    _lastWrittenId = changed.Value.Message.Id;
                }
            }
        }

        _phase = Phase.Committing;
        transaction.Commit();
        _phase = Phase.Committed;
        checkpointer.Committed(batch.Count);
    }

    private void Insert(PendingMessage message, string timestamp, DateTime now)
    {
        long? id;
        try
        {
            id = _insert!.Insert(message, timestamp);
        }
        catch (SqliteException ex) when (IsForeignKeyViolation(ex) && raw.sqlite3_get_autocommit(_connection!.Handle!) == 0)
        {
            // SQLite undid this statement only; the transaction goes on without it.
            message.Stored = null;
            message.Refusal = WriteRefusal.RoomGone;
            return;
        }

        if (id is { } created)
        {
            message.Stored = new PostedMessage(message.ToView(created, now), Created: true);
            _changes!.InsertMentions(created, message.RoomId, message.Mentions);
            _lastWrittenId = created;
        }
        else
        {
            message.Stored = new PostedMessage(FindOriginal(message), Created: false);
        }
    }

    /// <summary>Whether the last batch committed: it did if its commit returned, or if the last row it wrote is there with its time.</summary>
    public Task<bool> CommittedAsync(CancellationToken cancellationToken)
    {
        if (_phase != Phase.Committing)
        {
            return Task.FromResult(_phase == Phase.Committed);
        }

        if (_lastWrittenId == 0)
        {
            // It wrote nothing, so committed or not, the database is the same.
            return Task.FromResult(true);
        }

        using var connection = new SqliteConnection(database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM messages WHERE id = $id AND updated_at = $now";
        command.Parameters.AddWithValue("$id", _lastWrittenId);
        command.Parameters.AddWithValue("$now", _lastTimestamp);
        return Task.FromResult((long)command.ExecuteScalar()! > 0);
    }

    /// <summary>The database answers when the writer's connection opens and can take the write lock.</summary>
    public Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            EnsureOpen();
            using var command = _connection!.CreateCommand();
            command.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            command.ExecuteNonQuery();
            return Task.CompletedTask;
        }
        catch
        {
            Reset();
            throw;
        }
    }

    /// <summary>
    /// The file's or the machine's state, not a message's: busy or locked, out of memory or
    /// disk, an I/O error, a file that cannot be opened or written.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is
            raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_NOMEM or raw.SQLITE_READONLY or raw.SQLITE_INTERRUPT
            or raw.SQLITE_IOERR or raw.SQLITE_CORRUPT or raw.SQLITE_FULL or raw.SQLITE_CANTOPEN or raw.SQLITE_PROTOCOL,
        OperationCanceledException or TimeoutException or IOException or UnauthorizedAccessException => true,
        _ => false,
    };

    private MessageView FindOriginal(PendingMessage message)
    {
        _findOriginal!.Parameters[0].Value = message.RoomId;
        _findOriginal.Parameters[1].Value = message.Author.Id;
        _findOriginal.Parameters[2].Value = message.ClientId;
        using var reader = _findOriginal.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException("A client_id conflicted, but its original message is missing.");
        }

        return SqliteChangeStatements.Read(reader, 0, message.RoomId, message.Author.Id);
    }

    private void EnsureOpen()
    {
        if (_connection is not null)
        {
            return;
        }

        checkpointer.Start();
        _connection = new SqliteConnection(database.ConnectionString);
        _connection.Open();
        SqlitePragmas.Apply(_connection);
        using (var cache = _connection.CreateCommand())
        {
            cache.CommandText = WriterCacheSql;
            cache.ExecuteNonQuery();
        }

        _insert = new SqliteInsertStatement(_connection);

        _findOriginal = _connection.CreateCommand();
        _findOriginal.CommandText = $"""
            SELECT {SqliteChangeStatements.MessageColumns} FROM messages
            WHERE room_id = $room_id AND user_id = $user_id AND client_id = $client_id
            """;
        foreach (var name in new[] { "$room_id", "$user_id", "$client_id" })
        {
            _findOriginal.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _findOriginal.Prepare();
        _changes = new SqliteChangeStatements(_connection);
    }

    /// <summary>
    /// A message's own foreign key is the only one its writes can break, and that failure is
    /// answered inside the transaction (<see cref="Insert"/>); any other one is not about its room.
    /// </summary>
    public bool IsMissingRoom(Exception exception) => false;

    private static bool IsForeignKeyViolation(SqliteException exception) => exception.SqliteExtendedErrorCode == ConstraintForeignKey;

    private void Reset()
    {
        _insert?.Dispose();
        _findOriginal?.Dispose();
        _changes?.Dispose();
        _connection?.Dispose();
        _insert = null;
        _findOriginal = null;
        _changes = null;
        _connection = null;
    }

    public ValueTask DisposeAsync()
    {
        Reset();
        return ValueTask.CompletedTask;
    }
}
