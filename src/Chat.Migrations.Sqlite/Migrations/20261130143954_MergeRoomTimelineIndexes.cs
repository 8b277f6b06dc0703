using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// One index for a room's timeline where there were two: (room_id, id) for history pages
    /// and catch-up, and the partial (room_id, id, user_id) WHERE deleted_at IS NULL for unread
    /// counts, which named the same rows in the same order. (room_id, id, user_id, deleted_at)
    /// serves both: history reads its (room_id, id) prefix, and an unread count is still one
    /// range from the read marker on, read without touching the table, with the tombstone test
    /// made on the index entry instead of by leaving tombstones out of it. Every stored message
    /// wrote every index of messages: on PostgreSQL a batch of the whole-chat benchmark's
    /// messages spent about a tenth of its insert, and a sixth of its WAL records, on the second
    /// one (docs/benchmarks.md). The new index is built before the old ones go, so reads always
    /// have one.
    /// </summary>
    public partial class MergeRoomTimelineIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_messages_room_timeline",
                table: "messages",
                columns: new[] { "room_id", "id", "user_id", "deleted_at" });

            migrationBuilder.DropIndex(
                name: "ix_messages_room_id_id",
                table: "messages");

            migrationBuilder.DropIndex(
                name: "ix_messages_unread",
                table: "messages");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id_id",
                table: "messages",
                columns: new[] { "room_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_messages_unread",
                table: "messages",
                columns: new[] { "room_id", "id", "user_id" },
                filter: "deleted_at IS NULL");

            migrationBuilder.DropIndex(
                name: "ix_messages_room_timeline",
                table: "messages");
        }
    }
}
