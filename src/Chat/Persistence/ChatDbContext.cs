using Chat.Mentions;
using Chat.Messages;
using Chat.ReadMarkers;
using Chat.Rooms;
using Chat.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Chat.Persistence;

/// <summary>The chat's tables. One model for both providers; each has its own migration set.</summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<Room> Rooms => Set<Room>();

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<User> Users => Set<User>();

    public DbSet<Mention> Mentions => Set<Mention>();

    public DbSet<ReadMarker> ReadMarkers => Set<ReadMarker>();

    public DbSet<TokenRevocation> TokenRevocations => Set<TokenRevocation>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ChatDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        // Every timestamp is UTC. SQLite stores text and reads it back without a kind; this
        // marks it UTC again so that it serializes with a trailing Z.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        value => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(),
        value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
