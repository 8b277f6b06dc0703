using Chat.Channels;
using Chat.Channels.Redis;
using Chat.Persistence;

namespace Chat.Server.Configuration;

/// <summary>
/// Several nodes (CONTRACT.md §0): <c>ConnectionStrings:Redis</c> turns pubsub and presence
/// over to Redis, with the <c>Chat:Redis</c> section's settings.
/// </summary>
public static class RedisConfiguration
{
    public const string Section = "Chat:Redis";

    /// <summary>The Redis connection string, or null when this is a single node.</summary>
    public static string? ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Redis") is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>
    /// Adds Redis to the channel layer when configured. Refuses SQLite with it: SQLite is one
    /// node's file, so nodes sharing Redis would each keep a chat of their own, split silently.
    /// </summary>
    public static void AddRedisWhenConfigured(this ChannelsBuilder channels, IConfiguration configuration)
    {
        if (ConnectionString(configuration) is not { } connectionString)
        {
            return;
        }

        if (DatabaseConfiguration.Provider(configuration) == DatabaseProvider.Sqlite)
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Redis is set, but Chat:Database:Provider is sqlite. SQLite is one node's file: nodes sharing Redis " +
                "would each keep a chat of their own. Set Chat:Database:Provider=postgres and ConnectionStrings:Chat to a PostgreSQL " +
                "database that every node shares, or unset ConnectionStrings:Redis to run one node.");
        }

        var settings = new RedisChannelsOptions();
        configuration.GetSection(Section).Bind(settings, binder => binder.ErrorOnUnknownConfiguration = true);
        if (string.IsNullOrWhiteSpace(settings.Prefix))
        {
            throw new InvalidOperationException($"{Section}:Prefix must not be empty.");
        }

        if (settings.NodeTimeout < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"{Section}:NodeTimeout must be at least a second, not {settings.NodeTimeout}.");
        }

        if (settings.SequenceGapTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{Section}:SequenceGapTimeout must be positive, not {settings.SequenceGapTimeout}.");
        }

        try
        {
            channels.AddRedis(connectionString, options =>
            {
                options.Prefix = settings.Prefix;
                options.NodeTimeout = settings.NodeTimeout;
                options.SequenceGapTimeout = settings.SequenceGapTimeout;
            });
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:Redis is not a valid Redis configuration: {ex.Message}", ex);
        }
    }
}
