using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Mentions, read markers and unread counts (CONTRACT.md §5). mentions holds who each
    /// message names, written with the message, so that counting a user's mentions reads an
    /// index instead of scanning content. read_markers holds how far each user has read each
    /// room, keyed by user so that all of a user's badges are one range.
    /// Unread counts read ix_messages_unread, a partial (room_id, id, user_id) index without
    /// tombstones: a count is one range of it after the marker, never the table and never the
    /// room's whole history. To keep the message writer's inserts as cheap as before, two
    /// indexes that served no query go: ix_messages_room_id duplicates ix_messages_room_id_id
    /// (on SQLite every index ends with the rowid, so they were the same index), and nothing
    /// reads by inserted_at (docs/benchmarks.md measured both as 13 % of the writer's CPU).
    /// </summary>
    public partial class AddMentionsAndReadMarkers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_inserted_at",
                table: "messages");

            migrationBuilder.DropIndex(
                name: "ix_messages_room_id",
                table: "messages");

            migrationBuilder.CreateTable(
                name: "mentions",
                columns: table => new
                {
                    message_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    room_id = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_mentions", x => new { x.message_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_mentions_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "read_markers",
                columns: table => new
                {
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    room_id = table.Column<long>(type: "INTEGER", nullable: false),
                    last_read_id = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_read_markers", x => new { x.user_id, x.room_id });
                    table.ForeignKey(
                        name: "fk_read_markers_rooms_room_id",
                        column: x => x.room_id,
                        principalTable: "rooms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_messages_unread",
                table: "messages",
                columns: new[] { "room_id", "id", "user_id" },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_mentions_user_id_room_id_message_id",
                table: "mentions",
                columns: new[] { "user_id", "room_id", "message_id" });

            migrationBuilder.CreateIndex(
                name: "ix_read_markers_room_id",
                table: "read_markers",
                column: "room_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "mentions");

            migrationBuilder.DropTable(
                name: "read_markers");

            migrationBuilder.DropIndex(
                name: "ix_messages_unread",
                table: "messages");

            migrationBuilder.CreateIndex(
                name: "ix_messages_inserted_at",
                table: "messages",
                column: "inserted_at");

            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id",
                table: "messages",
                column: "room_id");
        }
    }
}
