using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Room names are capped at 80 characters (graphemes) and 320 bytes (Chat.Rooms.RoomRules).
    /// varchar(80) counted code points, so 80 flags, 160 code points, were accepted by the rule
    /// and refused by the database (an HTTP 500). 320 bytes are never more than 320 code points.
    /// Widening a varchar does not rewrite the table.
    /// </summary>
    public partial class WidenRoomNamesToTheirByteCap : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "name",
                table: "rooms",
                type: "character varying(320)",
                maxLength: 320,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(80)",
                oldMaxLength: 80);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "name",
                table: "rooms",
                type: "character varying(80)",
                maxLength: 80,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(320)",
                oldMaxLength: 320);
        }
    }
}
