using Chat.Rooms;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.ReadMarkers;

internal sealed class ReadMarkerConfiguration : IEntityTypeConfiguration<ReadMarker>
{
    public void Configure(EntityTypeBuilder<ReadMarker> marker)
    {
        marker.ToTable("read_markers");
        // Keyed by user first: a user's markers, for every device's badges, are one range.
        marker.HasKey(m => new { m.UserId, m.RoomId }).HasName("pk_read_markers");
        marker.Property(m => m.UserId).HasColumnName("user_id");
        marker.Property(m => m.RoomId).HasColumnName("room_id");
        marker.Property(m => m.LastReadId).HasColumnName("last_read_id");
        marker.Property(m => m.UpdatedAt).HasColumnName("updated_at");
        marker.HasIndex(m => m.RoomId).HasDatabaseName("ix_read_markers_room_id");
        marker.HasOne<Room>().WithMany().HasForeignKey(m => m.RoomId)
            .HasConstraintName("fk_read_markers_rooms_room_id").OnDelete(DeleteBehavior.Cascade);
    }
}
