using Chat.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.Mentions;

internal sealed class MentionConfiguration : IEntityTypeConfiguration<Mention>
{
    public void Configure(EntityTypeBuilder<Mention> mention)
    {
        mention.ToTable("mentions");
        mention.HasKey(m => new { m.MessageId, m.UserId }).HasName("pk_mentions");
        mention.Property(m => m.MessageId).HasColumnName("message_id");
        mention.Property(m => m.UserId).HasColumnName("user_id");
        mention.Property(m => m.RoomId).HasColumnName("room_id");
        // A user's unread mentions in a room: one range of this index after the read marker.
        mention.HasIndex(m => new { m.UserId, m.RoomId, m.MessageId }).HasDatabaseName("ix_mentions_user_id_room_id_message_id");
        mention.HasOne<Message>().WithMany().HasForeignKey(m => m.MessageId)
            .HasConstraintName("fk_mentions_messages_message_id").OnDelete(DeleteBehavior.Cascade);
    }
}
