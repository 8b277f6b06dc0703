using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Search (CONTRACT.md §6) with a tsvector and a GIN index. messages.search holds each
    /// message's words as Chat.Search.SearchText makes them (folded case and accents, plus a
    /// token for the message's room), put there by the message writer in the message's own
    /// transaction with array_to_tsvector: no text search parser or dictionary touches them, so
    /// the same words match on PostgreSQL and on SQLite, and no extension (unaccent, pg_trgm)
    /// has to be installed. Tombstones hold null and never match. The column is not part of the
    /// EF Core model: only the writer writes it and only the search reads it. Messages stored
    /// before this migration get their words here from lower-cased content split on what is
    /// not a letter or a digit (accents stay on those until they are edited).
    /// </summary>
    public partial class AddMessageSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE messages ADD COLUMN search tsvector;");
            migrationBuilder.Sql("""
                UPDATE messages SET search = (
                    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT left(w, 64)), '{}') || ARRAY[chr(57344) || messages.room_id::text])
                    FROM regexp_split_to_table(lower(messages.content), '[^[:alnum:]]+') AS w
                    WHERE w <> '')
                WHERE deleted_at IS NULL;
                """);
            migrationBuilder.Sql("CREATE INDEX ix_messages_search ON messages USING gin (search);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX ix_messages_search;");
            migrationBuilder.Sql("ALTER TABLE messages DROP COLUMN search;");
        }
    }
}
