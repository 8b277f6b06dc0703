using Chat.Persistence;
using Microsoft.Data.Sqlite;

namespace Chat.Messages;

/// <summary>
/// SQLite: one connection owned by the writer, two prepared statements, and one
/// <c>BEGIN IMMEDIATE</c> transaction per batch. In-process inserts cost microseconds; the
/// commit's fsync is the real price, and the batch pays it once.
/// </summary>
/// <remarks>
/// The insert has no <c>RETURNING</c> clause on purpose. SQLite runs <c>RETURNING</c> as a
/// trigger, which makes every insert a multi-write statement, and inside a transaction such
/// a statement gets its own statement journal: SQLite copies every page the insert touches
/// (the table's and each index's) into a temp file before changing it, so that it could
/// undo this one statement. For a batch that is several times the bytes of the WAL itself,
/// and two write system calls per page. Without <c>RETURNING</c> no statement journal is
/// needed; the changes count says whether the row went in, and the connection's last
/// insert rowid is its id.
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

    public Task WriteAsync(IReadOnlyList<PendingWrite> batch, DateTime now, CancellationToken cancellationToken)
    {
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
        var timestamp = SqliteInsertStatement.Format(now);
        using var transaction = _connection!.BeginTransaction(deferred: false);
        _findOriginal!.Transaction = transaction;
        _changes!.Enlist(transaction);
        foreach (var write in batch)
        {
            if (write is PendingMessage message)
            {
                if (_insert!.Insert(message, timestamp) is { } id)
                {
                    message.Stored = new PostedMessage(message.ToView(id, now), Created: true);
                    _changes.InsertMentions(id, message.RoomId, message.Mentions);
                }
                else
                {
                    message.Stored = new PostedMessage(FindOriginal(message), Created: false);
                }
            }
            else
            {
                _changes.Apply((PendingChange)write, now, timestamp);
            }
        }

        transaction.Commit();
    }

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

    public bool IsMissingRoom(Exception exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: ConstraintForeignKey };

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
