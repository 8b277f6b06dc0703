using Chat.Reactions;
using Microsoft.Data.Sqlite;

namespace Chat.Messages;

/// <summary>
/// The SQLite writer's statements for changes to stored messages (read the message, take the
/// next revision, store the new state) and for mentions. Prepared once on the writer's
/// connection; both are rare next to inserts, so plain commands do.
/// </summary>
internal sealed class SqliteChangeStatements : IDisposable
{
    /// <summary>The columns <see cref="Read"/> expects, from <c>id</c> on.</summary>
    public const string MessageColumns = "id, username, content, inserted_at, edited_at, deleted_at, reactions, rev";

    private readonly SqliteCommand _load;
    private readonly SqliteCommand _nextRev;
    private readonly SqliteCommand _currentRev;
    private readonly SqliteCommand _update;
    private readonly SqliteCommand _mentionsOf;
    private readonly SqliteCommand _deleteMentions;
    private readonly SqliteCommand _insertMention;
    private readonly SqliteCommand _unindex;
    private readonly SqliteCommand _index;

    public SqliteChangeStatements(SqliteConnection connection)
    {
        _load = Prepare(connection, $"SELECT room_id, user_id, {MessageColumns} FROM messages WHERE id = $id", "$id");
        _nextRev = Prepare(connection, Revisions.SqliteNext);
        _currentRev = Prepare(connection, Revisions.SqliteCurrent);
        _update = Prepare(connection, """
            UPDATE messages
            SET content = $content, edited_at = $edited_at, deleted_at = $deleted_at, reactions = $reactions, rev = $rev, updated_at = $now
            WHERE id = $id
            """, "$content", "$edited_at", "$deleted_at", "$reactions", "$rev", "$now", "$id");
        _mentionsOf = Prepare(connection, "SELECT user_id FROM mentions WHERE message_id = $id", "$id");
        _deleteMentions = Prepare(connection, "DELETE FROM mentions WHERE message_id = $id", "$id");
        _unindex = Prepare(connection, "DELETE FROM messages_search WHERE rowid = $id", "$id");
        _index = Prepare(connection, "INSERT INTO messages_search (rowid, document) VALUES ($id, $document)", "$id", "$document");
        _insertMention = Prepare(connection, "INSERT INTO mentions (message_id, user_id, room_id) VALUES ($message_id, $user_id, $room_id)", "$message_id", "$user_id", "$room_id");
    }

    /// <summary>Stores the users a new message mentions.</summary>
    public void InsertMentions(long messageId, long roomId, IReadOnlyList<long> userIds)
    {
        foreach (var userId in userIds)
        {
            _insertMention.Parameters[0].Value = messageId;
            _insertMention.Parameters[1].Value = userId;
            _insertMention.Parameters[2].Value = roomId;
            _insertMention.ExecuteNonQuery();
        }
    }

    /// <summary>Replaces the users a message mentions; returns those it did not mention before.</summary>
    private IReadOnlyList<long> ReplaceMentions(long messageId, long roomId, IReadOnlyList<long> userIds)
    {
        var before = new HashSet<long>();
        _mentionsOf.Parameters[0].Value = messageId;
        using (var reader = _mentionsOf.ExecuteReader())
        {
            while (reader.Read())
            {
                before.Add(reader.GetInt64(0));
            }
        }

        _deleteMentions.Parameters[0].Value = messageId;
        _deleteMentions.ExecuteNonQuery();
        InsertMentions(messageId, roomId, userIds);
        return [.. userIds.Where(id => !before.Contains(id))];
    }

    public void Enlist(SqliteTransaction transaction)
    {
        _load.Transaction = transaction;
        _nextRev.Transaction = transaction;
        _currentRev.Transaction = transaction;
        _update.Transaction = transaction;
        _mentionsOf.Transaction = transaction;
        _deleteMentions.Transaction = transaction;
        _insertMention.Transaction = transaction;
        _unindex.Transaction = transaction;
        _index.Transaction = transaction;
    }

    /// <summary>Decides <paramref name="change"/> against the stored message and stores what it decided.</summary>
    public void Apply(PendingChange change, DateTime now, string timestamp)
    {
        var current = Load(change.MessageId);
        var decision = change.Decide(current, now);
        if (decision is not ChangeDecision.Apply apply)
        {
            change.Outcome = change.Resolve(decision, current);
            return;
        }

        _nextRev.ExecuteNonQuery();
        var message = apply.Message with { Rev = (long)_currentRev.ExecuteScalar()! };
        _update.Parameters[0].Value = message.Content;
        _update.Parameters[1].Value = message.EditedAt is { } edited ? SqliteInsertStatement.Format(edited) : DBNull.Value;
        _update.Parameters[2].Value = message.Deleted ? timestamp : DBNull.Value;
        _update.Parameters[3].Value = (object?)message.Reactions.ToColumn() ?? DBNull.Value;
        _update.Parameters[4].Value = message.Rev;
        _update.Parameters[5].Value = timestamp;
        _update.Parameters[6].Value = message.Id;
        _update.ExecuteNonQuery();
        if (change.SearchDocument is { } document)
        {
            _unindex.Parameters[0].Value = message.Id;
            _unindex.ExecuteNonQuery();
            if (document.Length > 0)
            {
                _index.Parameters[0].Value = message.Id;
                _index.Parameters[1].Value = document;
                _index.ExecuteNonQuery();
            }
        }

        var mentioned = change.Mentions is { } mentions ? ReplaceMentions(message.Id, message.RoomId, mentions) : null;
        change.Outcome = change.Resolve(decision, message, mentioned);
    }

    private MessageView? Load(long id)
    {
        _load.Parameters[0].Value = id;
        using var reader = _load.ExecuteReader();
        return reader.Read() ? Read(reader, 2, reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    /// <summary>A message from <see cref="MessageColumns"/>, starting at column <paramref name="first"/>.</summary>
    public static MessageView Read(SqliteDataReader reader, int first, long roomId, long userId)
    {
        var id = reader.GetInt64(first);
        return new MessageView(
            id, roomId, userId, reader.GetString(first + 1), reader.GetString(first + 2), Utc(reader.GetDateTime(first + 3)),
            reader.IsDBNull(first + 4) ? null : Utc(reader.GetDateTime(first + 4)),
            !reader.IsDBNull(first + 5),
            MessageReactions.FromJson(reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6)),
            reader.IsDBNull(first + 7) ? id : reader.GetInt64(first + 7));
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    public void Dispose()
    {
        _load.Dispose();
        _nextRev.Dispose();
        _currentRev.Dispose();
        _update.Dispose();
        _mentionsOf.Dispose();
        _deleteMentions.Dispose();
        _insertMention.Dispose();
        _unindex.Dispose();
        _index.Dispose();
    }
}
