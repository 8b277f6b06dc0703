using Chat.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Chat.Search;

/// <summary>
/// Adds stored messages' words to the search index, inside the caller's transaction, for
/// messages stored past the message writer (an imported room). The writer indexes each new
/// message in its own insert (SqliteInsertStatement, PostgresMessageBatchStore); this does
/// the same for rows that are already in the table: on SQLite a row of the FTS5 table
/// <c>messages_search</c> per message, on PostgreSQL the <c>messages.search</c> tsvector,
/// both holding <see cref="SearchText.Document"/> as it is.
/// </summary>
internal static class SearchIndex
{
    private const string SqliteSql = "INSERT INTO messages_search (rowid, document) VALUES ($id, $document)";

    // The same tsvector as the writer's insert makes: the words as lexemes, no parser, no dictionary.
    private const string PostgresSql = """
        UPDATE messages SET search = array_to_tsvector(string_to_array(d.document, ' '))
        FROM unnest(@ids, @documents) AS d(id, document)
        WHERE messages.id = d.id
        """;

    /// <summary>Indexes each message's <see cref="SearchText.Document"/> under its id, in the context's current transaction.</summary>
    public static async Task AddAsync(ChatDbContext db, DatabaseProvider provider, IReadOnlyList<(long Id, string Document)> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Index messages in the transaction that stores them.");
        if (provider == DatabaseProvider.Postgres)
        {
            await using var update = new NpgsqlCommand(PostgresSql, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction)
            {
                Parameters =
                {
                    new("ids", messages.Select(m => m.Id).ToArray()),
                    new("documents", messages.Select(m => m.Document).ToArray()),
                },
            };
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = SqliteSql;
        var id = insert.AddParameter("$id");
        var document = insert.AddParameter("$document");
        foreach (var message in messages)
        {
            id.Value = message.Id;
            document.Value = message.Document;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
