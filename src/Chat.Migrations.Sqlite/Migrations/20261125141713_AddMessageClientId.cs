using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// client_id makes a send idempotent: a client that retries after a dropped connection gets
    /// the first message back. The unique index on (room_id, user_id, client_id) makes the
    /// database, not a race, the judge of "already sent".
    /// </summary>
    public partial class AddMessageClientId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "client_id",
                table: "messages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_room_id_user_id_client_id",
                table: "messages",
                columns: new[] { "room_id", "user_id", "client_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_room_id_user_id_client_id",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "client_id",
                table: "messages");
        }
    }
}
