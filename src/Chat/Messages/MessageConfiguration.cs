using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.Messages;

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public const int UsernameMaxLength = 255;
    public const int ClientIdMaxLength = 64;

    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.ToTable("messages");
        message.HasKey(m => m.Id).HasName("pk_messages");
        message.Property(m => m.Id).HasColumnName("id");
        // text, not the seed's varchar(255): the contract allows 4000 characters.
        message.Property(m => m.Content).HasColumnName("content").HasColumnType("text").IsRequired();
        message.Property(m => m.UserId).HasColumnName("user_id");
        message.Property(m => m.Username).HasColumnName("username").HasMaxLength(UsernameMaxLength).IsRequired();
        message.Property(m => m.RoomId).HasColumnName("room_id");
        message.Property(m => m.ClientId).HasColumnName("client_id").HasMaxLength(ClientIdMaxLength);
        message.Property(m => m.InsertedAt).HasColumnName("inserted_at");
        message.Property(m => m.UpdatedAt).HasColumnName("updated_at");
        message.Property(m => m.EditedAt).HasColumnName("edited_at");
        message.Property(m => m.DeletedAt).HasColumnName("deleted_at");
        message.Property(m => m.Reactions).HasColumnName("reactions").HasColumnType("text");
        message.Property(m => m.Rev).HasColumnName("rev");
        // A room's timeline: history pages and catch-up are ranges of it by id, and counting
        // unread messages is a range from the read marker on, read without touching the table
        // (the author and the tombstone mark are in it). One index for both, not one each: every
        // message stored writes every index of this table, and this one replaced two (see the
        // MergeRoomTimelineIndexes migration).
        message.HasIndex(m => new { m.RoomId, m.Id, m.UserId, m.DeletedAt }).HasDatabaseName("ix_messages_room_timeline");
        // Unique per (room, user, client_id), with client_id leading: clients that make their
        // ids time-ordered (the web app does) then add every key at the index's right edge,
        // instead of on one leaf per sender (see the ReorderMessageClientIdIndex migration).
        message.HasIndex(m => new { m.ClientId, m.RoomId, m.UserId }).HasDatabaseName("ix_messages_client_id_room_id_user_id").IsUnique();
        // Catching up on changes: only messages changed after they were sent have a rev, so
        // this index holds those alone and new messages never touch it.
        message.HasIndex(m => new { m.RoomId, m.Rev }).HasDatabaseName("ix_messages_room_id_rev").HasFilter("rev IS NOT NULL");
    }
}
