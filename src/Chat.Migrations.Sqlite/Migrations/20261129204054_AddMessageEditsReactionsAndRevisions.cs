using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Edits, deletes and reactions (CONTRACT.md §4). Messages keep their row when deleted
    /// (deleted_at: a tombstone, so history and catch-up can tell clients to remove it), carry
    /// edited_at and their reactions (the wire JSON, read with the message in one query), and
    /// a rev once they change. rev stays null for a message never changed (its revision is its
    /// id), so the partial index on (room_id, rev) holds changed messages only: a rejoin reads
    /// the changes since its last_rev through it, and new messages never touch it. All four
    /// columns are nullable without a default, so adding them rewrites no existing row.
    /// </summary>
    public partial class AddMessageEditsReactionsAndRevisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "deleted_at",
                table: "messages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "edited_at",
                table: "messages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "reactions",
                table: "messages",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "rev",
                table: "messages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id_rev",
                table: "messages",
                columns: new[] { "room_id", "rev" },
                filter: "rev IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_room_id_rev",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "edited_at",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "reactions",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "rev",
                table: "messages");
        }
    }
}
