using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Chat.Messages;

/// <summary>
/// The message insert as one prepared SQLite statement driven through the raw API: bind,
/// step, reset. <see cref="SqliteCommand"/> would box every value into a parameter object and
/// walk its statement list on every call; for the writer's thousands of rows a second that
/// bookkeeping is a measurable share of the one thread every message goes through.
/// </summary>
internal sealed class SqliteInsertStatement : IDisposable
{
    private const string Sql = """
        INSERT INTO messages (content, user_id, username, room_id, client_id, inserted_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
        ON CONFLICT (client_id, room_id, user_id) DO NOTHING
        """;

    // The message's words go into the FTS5 index in the same transaction (see the
    // AddMessageSearch migration): a new message is found as soon as it is acknowledged.
    private const string SearchSql = "INSERT INTO messages_search (rowid, document) VALUES (?1, ?2)";

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly sqlite3_stmt _search;

    public SqliteInsertStatement(SqliteConnection connection)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, Sql, out _statement));
        Check(raw.sqlite3_prepare_v2(_db, SearchSql, out _search));
    }

    /// <summary>
    /// Inserts one message with <paramref name="timestamp"/> (already in SQLite's text form).
    /// Returns its id, or null when an earlier send with the same client_id is already stored.
    /// </summary>
    public long? Insert(PendingMessage message, string timestamp)
    {
        try
        {
            raw.sqlite3_bind_text(_statement, 1, message.Content);
            raw.sqlite3_bind_int64(_statement, 2, message.Author.Id);
            raw.sqlite3_bind_text(_statement, 3, message.Author.Username);
            raw.sqlite3_bind_int64(_statement, 4, message.RoomId);
            if (message.ClientId is { } clientId)
            {
                raw.sqlite3_bind_text(_statement, 5, clientId);
            }
            else
            {
                raw.sqlite3_bind_null(_statement, 5);
            }

            raw.sqlite3_bind_text(_statement, 6, timestamp);
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                throw Error(rc);
            }

            if (raw.sqlite3_changes(_db) != 1)
            {
                return null;
            }

            var id = raw.sqlite3_last_insert_rowid(_db);
            Index(id, message.SearchDocument);
            return id;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    private void Index(long id, string document)
    {
        try
        {
            raw.sqlite3_bind_int64(_search, 1, id);
            raw.sqlite3_bind_text(_search, 2, document);
            var rc = raw.sqlite3_step(_search);
            if (rc != raw.SQLITE_DONE)
            {
                throw Error(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(_search);
            raw.sqlite3_clear_bindings(_search);
        }
    }

    /// <summary>A timestamp as EF Core and Microsoft.Data.Sqlite store it, so that both read it back alike.</summary>
    public static string Format(DateTime value) =>
        value.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(rc);
        }
    }

    private SqliteException Error(int rc) =>
        new(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));

    public void Dispose()
    {
        _statement.Dispose();
        _search.Dispose();
    }
}
