using Chat.Accounts;
using Chat.Messages;
using Chat.Persistence;
using Chat.Reactions;
using Chat.ReadMarkers;
using Chat.Search;
using Chat.Rooms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chat;

public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds the chat context on <paramref name="database"/>: pooled EF Core contexts, the
    /// group-commit writer with the provider's batch store, the publisher that announces what
    /// it commits, and one service per feature (<see cref="RoomService"/>,
    /// <see cref="MessageService"/>, <see cref="ReactionService"/>, <see cref="ReadMarkerService"/>, <see cref="SearchService"/>, <see cref="AccountService"/>).
    /// Register <see cref="IChatEvents"/> handlers to hear about committed writes.
    /// </summary>
    public static IServiceCollection AddChat(this IServiceCollection services, ChatDatabase database) =>
        services.AddSingleton(database).AddChatContext();

    /// <summary>
    /// Adds the chat context on the database <paramref name="openDatabase"/> opens when it is
    /// first needed, so that a host can make it from validated options.
    /// </summary>
    public static IServiceCollection AddChat(this IServiceCollection services, Func<IServiceProvider, ChatDatabase> openDatabase) =>
        services.AddSingleton(openDatabase).AddChatContext();

    private static IServiceCollection AddChatContext(this IServiceCollection services)
    {
        services.AddPooledDbContextFactory<ChatDbContext>((provider, options) => provider.GetRequiredService<ChatDatabase>().Configure(options));
        services.AddOptions<ChatOptions>();
        services.AddOptions<MessageWriterOptions>();
        services.TryAddSingleton(TimeProvider.System);
        // Only ever made on SQLite, by the SQLite store below.
        services.AddSingleton<SqliteCheckpointer>();
        // Only ever made on PostgreSQL, by the PostgreSQL store below.
        services.AddSingleton<PostgresSearchIndexCleaner>();
        services.AddSingleton<IMessageBatchStore>(provider => provider.GetRequiredService<ChatDatabase>() switch
        {
            // The writer turns SQLite's automatic checkpoints off, so the checkpointer must run.
            { Provider: DatabaseProvider.Sqlite } database => new SqliteMessageBatchStore(database, provider.GetRequiredService<SqliteCheckpointer>()),
            { Provider: DatabaseProvider.Postgres } database => new PostgresMessageBatchStore(database, provider.GetRequiredService<PostgresSearchIndexCleaner>()),
            var database => throw new InvalidOperationException($"No message store for {database.Provider}."),
        });
        services.AddSingleton<MessagePublisher>();
        services.AddSingleton<MessageWriter>();
        services.AddSingleton(provider => new RoomService(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetServices<IChatEvents>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new MessageService(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetRequiredService<MessageWriter>(),
            provider.GetRequiredService<IOptions<ChatOptions>>()));
        services.AddSingleton(provider => new ReactionService(provider.GetRequiredService<MessageWriter>()));
        services.AddSingleton(provider => new ReadMarkerCreator(provider.GetRequiredService<IDbContextFactory<ChatDbContext>>()));
        services.AddSingleton(provider => new ReadMarkerService(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetRequiredService<ReadMarkerCreator>(),
            provider.GetServices<IChatEvents>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new SearchService(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetRequiredService<ChatDatabase>()));
        services.AddSingleton(provider => new RoomArchive(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetRequiredService<ChatDatabase>(),
            provider.GetRequiredService<RoomService>(),
            provider.GetRequiredService<IOptions<ChatOptions>>()));
        services.AddSingleton(provider => new ChatStatistics(provider.GetRequiredService<IDbContextFactory<ChatDbContext>>()));
        services.AddSingleton(provider => new AccountService(
            provider.GetRequiredService<IDbContextFactory<ChatDbContext>>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new TokenRevocationService(provider.GetRequiredService<IDbContextFactory<ChatDbContext>>()));
        return services;
    }

    /// <summary>Applies every migration the database lacks.</summary>
    public static async Task MigrateChatDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<ChatDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
    }
}
