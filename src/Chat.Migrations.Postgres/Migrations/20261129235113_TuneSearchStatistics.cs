using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Lets the planner tell a rare word from a common one, so that a search for a rare or an
    /// absent word reads the GIN index instead of walking every message. A search asks for the
    /// newest matches (ORDER BY id DESC LIMIT n), which the planner can answer two ways: walk the
    /// primary key backwards and test each row until the page is full (cheap for a common word,
    /// a scan of the whole table for an absent one), or read the word's rows from the GIN index
    /// and sort them (cheap for a rare word, slow for one in every third message). It chooses by
    /// the estimated number of matches, and with the default statistics target (100) the
    /// column's statistics keep only its 1,000 most common lexemes: every other word is
    /// estimated at half the rarest of those, which on a large table is thousands of rows. A
    /// word in 0.01 % of two million messages then walked 230,000 rows (115 ms) and a word no
    /// message holds all two million (2.5 s). With a target of 1000 the statistics keep the
    /// 10,000 most common lexemes, every other word is estimated near its real count, and both
    /// read the index (about a millisecond); common words still walk the key and stop at the
    /// page. ANALYZE samples 300,000 rows instead of 30,000 for this table (seconds, in
    /// autovacuum's background). The ANALYZE here gives an existing database the new
    /// statistics at once instead of at autovacuum's next visit.
    /// </summary>
    public partial class TuneSearchStatistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE messages ALTER COLUMN search SET STATISTICS 1000;");
            migrationBuilder.Sql("ANALYZE messages;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE messages ALTER COLUMN search SET STATISTICS -1;");
        }
    }
}
