using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Room names are capped at 80 characters and 320 bytes (Chat.Rooms.RoomRules), and the
    /// column now says 320. SQLite does not enforce a declared length, so only the model changes.
    /// </summary>
    public partial class WidenRoomNamesToTheirByteCap : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
