using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.Rooms;

internal sealed class RoomConfiguration : IEntityTypeConfiguration<Room>
{
    /// <summary>
    /// A name is at most 80 characters (graphemes) and 320 bytes (RoomRules). PostgreSQL's
    /// varchar counts code points, and 80 graphemes can be far more (a flag is two), so the
    /// column holds what the byte cap allows: 320 bytes are never more than 320 code points.
    /// </summary>
    public const int NameMaxBytes = 320;
    public const int SlugMaxLength = 100;

    public void Configure(EntityTypeBuilder<Room> room)
    {
        room.ToTable("rooms");
        room.HasKey(r => r.Id).HasName("pk_rooms");
        room.Property(r => r.Id).HasColumnName("id");
        room.Property(r => r.Name).HasColumnName("name").HasMaxLength(NameMaxBytes).IsRequired();
        room.Property(r => r.Description).HasColumnName("description").HasColumnType("text");
        room.Property(r => r.Slug).HasColumnName("slug").HasMaxLength(SlugMaxLength).IsRequired();
        room.Property(r => r.InsertedAt).HasColumnName("inserted_at");
        room.Property(r => r.UpdatedAt).HasColumnName("updated_at");
        room.HasIndex(r => r.Slug).HasDatabaseName("ix_rooms_slug").IsUnique();
        room.HasMany<Messages.Message>().WithOne().HasForeignKey(m => m.RoomId)
            .HasConstraintName("fk_messages_rooms_room_id").OnDelete(DeleteBehavior.Cascade);
    }
}
