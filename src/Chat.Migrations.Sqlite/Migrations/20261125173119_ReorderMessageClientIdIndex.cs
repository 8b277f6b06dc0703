using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// The same uniqueness as before, per (room_id, user_id, client_id), with client_id as the
    /// index's first column. Led by room_id and user_id, every sender's key lands on that
    /// sender's own leaf page, so a group-commit batch from 500 senders rewrote ~500 scattered
    /// pages: on SQLite that held the writer near 35,000 messages/s, and under 50,000 even with no fsync at all.
    /// Led by client_id, time-ordered ids (the web app sends them) all go to the right edge of
    /// the index, and random ids scatter no worse than before (docs/benchmarks.md). The new
    /// index is built before the old one goes, so uniqueness holds throughout.
    /// </summary>
    public partial class ReorderMessageClientIdIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_messages_client_id_room_id_user_id",
                table: "messages",
                columns: new[] { "client_id", "room_id", "user_id" },
                unique: true);

            migrationBuilder.DropIndex(
                name: "ix_messages_room_id_user_id_client_id",
                table: "messages");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_client_id_room_id_user_id",
                table: "messages");

            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id_user_id_client_id",
                table: "messages",
                columns: new[] { "room_id", "user_id", "client_id" },
                unique: true);
        }
    }
}
