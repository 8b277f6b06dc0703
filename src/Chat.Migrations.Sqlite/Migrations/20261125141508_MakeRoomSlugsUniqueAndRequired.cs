using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Slugs name rooms in URLs and in channel topics (room:{slug}), so every room needs one and
    /// no two rooms may share it. Rooms without a slug get room-{id} first.
    /// </summary>
    public partial class MakeRoomSlugsUniqueAndRequired : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("UPDATE rooms SET slug = 'room-' || id WHERE slug IS NULL OR slug = ''");

            migrationBuilder.DropIndex(
                name: "ix_rooms_slug",
                table: "rooms");

            migrationBuilder.AlterColumn<string>(
                name: "slug",
                table: "rooms",
                type: "TEXT",
                maxLength: 100,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 100,
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_rooms_slug",
                table: "rooms",
                column: "slug",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_rooms_slug",
                table: "rooms");

            migrationBuilder.AlterColumn<string>(
                name: "slug",
                table: "rooms",
                type: "TEXT",
                maxLength: 100,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 100);

            migrationBuilder.CreateIndex(
                name: "ix_rooms_slug",
                table: "rooms",
                column: "slug");
        }
    }
}
