using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Search (CONTRACT.md §6) with SQLite's FTS5: a contentless table that holds only the
    /// index of each message's words (Chat.Search.SearchText makes them: folded case and
    /// accents, plus a token for the message's room), with the message id as its rowid. FTS5
    /// answers a query newest first by rowid without touching messages, and a room's token
    /// makes a search within one room an intersection in the index. contentless_delete lets the
    /// writer drop a tombstone's or an edited message's words by rowid; detail=none keeps no
    /// positions, which the contract's queries (all words, a prefix) never need and every
    /// insert would pay for. The tokenizer folds diacritics too, so the messages stored before
    /// this migration, indexed here from their raw content, are found the same way. The message
    /// writer adds new messages' words in the message's own transaction; no trigger is used,
    /// because a trigger would make each of the writer's inserts a multi-statement write with a
    /// statement journal (see SqliteMessageBatchStore).
    /// </summary>
    public partial class AddMessageSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE messages_search USING fts5(
                    document, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 2');
                """);
            // The index's own list of words: a query's last word is looked up here and
            // searched as the few whole words it begins, which FTS5 reads lazily, newest
            // first; a prefix query would first merge every row of every such word.
            migrationBuilder.Sql("CREATE VIRTUAL TABLE messages_search_words USING fts5vocab(messages_search, 'row');");
            migrationBuilder.Sql("""
                INSERT INTO messages_search (rowid, document)
                SELECT id, content || ' ' || char(57344) || room_id FROM messages WHERE deleted_at IS NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE messages_search_words;");
            migrationBuilder.Sql("DROP TABLE messages_search;");
        }
    }
}
