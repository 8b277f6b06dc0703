using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Postgres.Migrations
{
    /// <summary>
    /// History is read as "the newest N messages of a room before or after an id"; an index on
    /// (room_id, id) answers that with one range scan, whatever the room's size.
    /// </summary>
    public partial class AddMessageHistoryIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id_id",
                table: "messages",
                columns: new[] { "room_id", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_room_id_id",
                table: "messages");
        }
    }
}
