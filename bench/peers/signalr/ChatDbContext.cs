using Microsoft.EntityFrameworkCore;

namespace Chat.Bench.SignalRPeer;

public sealed class MessageRow
{
    public long Id { get; set; }
    public required string Room { get; set; }
    public long UserId { get; set; }
    public required string Username { get; set; }
    public required string Content { get; set; }
    public required string ClientId { get; set; }
    public DateTime InsertedAt { get; set; }
}

/// <summary>The peer's own tiny schema, made by EnsureCreated: messages, history by room, unique client ids.</summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<MessageRow> Messages => Set<MessageRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var message = modelBuilder.Entity<MessageRow>();
        message.ToTable("messages");
        message.HasIndex(m => new { m.Room, m.Id });
        message.HasIndex(m => new { m.ClientId, m.Room, m.UserId }).IsUnique();
        message.Property(m => m.Room).HasMaxLength(100);
        message.Property(m => m.ClientId).HasMaxLength(64);
    }
}
