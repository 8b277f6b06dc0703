using System.ComponentModel.DataAnnotations;
using Chat.Validation;
using Chat.Channels;
using Chat.Channels.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Redis</c> section: how the nodes of one chat share Redis (docs/deployment.md).</summary>
public sealed class RedisSettings
{
    public const string Section = "Chat:Redis";

    /// <summary>Put before every key and channel, so that several deployments can share one Redis.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "must not be empty")]
    public string Prefix { get; set; } = new RedisChannelsOptions().Prefix;

    /// <summary>A node whose heartbeat is this old is taken for dead, and its users leave every room.</summary>
    [TimeSpanRange("00:00:01", "01:00:00", ErrorMessage = "must be between a second and an hour")]
    public TimeSpan NodeTimeout { get; set; } = new RedisChannelsOptions().NodeTimeout;

    /// <summary>How long a room's message waits in Redis for the one before it, stored first by another node.</summary>
    [TimeSpanRange("00:00:00.010", "00:10:00", ErrorMessage = "must be between ten milliseconds and ten minutes")]
    public TimeSpan SequenceGapTimeout { get; set; } = new RedisChannelsOptions().SequenceGapTimeout;
}

/// <summary>
/// Several nodes (CONTRACT.md §0): <c>ConnectionStrings:Redis</c> turns pubsub, presence and
/// rate limits over to Redis, with the <c>Chat:Redis</c> section's settings. Redis with SQLite
/// is refused at start (<see cref="DatabaseOptionsValidator"/>).
/// </summary>
public static class RedisConfiguration
{
    /// <summary>The Redis connection string, or null when this is a single node.</summary>
    public static string? ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Redis") is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>Why a Redis connection string cannot be used, or null when it can.</summary>
    public static string? Parse(string connectionString)
    {
        try
        {
            _ = ConfigurationOptions.Parse(connectionString);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Registers <c>Chat:Redis</c>, and Redis in the channel layer when <c>ConnectionStrings:Redis</c> is set and usable.</summary>
    public static void AddRedisWhenConfigured(this ChannelsBuilder channels, IConfiguration configuration)
    {
        // Registered either way, so that its keys are known (and checked) on a single node too.
        channels.Services.AddChatOptions<RedisSettings>(configuration, RedisSettings.Section);
        if (ConnectionString(configuration) is not { } connectionString || Parse(connectionString) is not null)
        {
            return; // a bad string is reported with the rest of the configuration at start
        }

        channels.AddRedis(connectionString);
        channels.Services.AddOptions<RedisChannelsOptions>().Configure<IOptions<RedisSettings>>((options, settings) =>
        {
            options.Prefix = settings.Value.Prefix;
            options.NodeTimeout = settings.Value.NodeTimeout;
            options.SequenceGapTimeout = settings.Value.SequenceGapTimeout;
        });
    }
}
