using Chat.Channels.Internal.Transport;
using Chat.Channels.Presence;
using Chat.Channels.PubSub;
using Chat.Channels.Redis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Chat.Channels.Redis;

/// <summary>Turns the channel layer's pubsub and presence into Redis-backed ones: several nodes, one set of topics.</summary>
public static class RedisChannelsBuilderExtensions
{
    /// <summary>
    /// Replaces the in-process <see cref="IPubSub"/> and <see cref="IPresence"/> with ones that
    /// share topics and presences through Redis, so that any number of nodes serve one set of
    /// topics, and counts each socket id's sockets over every node
    /// (<see cref="ChannelsOptions.MaxSocketsPerId"/>). Channels, sockets and the application do not change.
    /// </summary>
    /// <param name="builder">What <c>AddChannels</c> returned.</param>
    /// <param name="connectionString">A StackExchange.Redis configuration string, such as <c>redis.internal:6379,password=…</c>.</param>
    /// <param name="configure">Changes to the defaults of <see cref="RedisChannelsOptions"/>.</param>
    /// <exception cref="ArgumentException">The connection string cannot be parsed.</exception>
    public static ChannelsBuilder AddRedis(this ChannelsBuilder builder, string connectionString, Action<RedisChannelsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var configuration = ConfigurationOptions.Parse(connectionString);
        builder.Services.AddOptions<RedisChannelsOptions>()
            .Configure(options =>
            {
                options.Configuration = configuration;
                configure?.Invoke(options);
            })
            .Validate(options => !string.IsNullOrEmpty(options.Prefix), "The Redis key prefix must not be empty.")
            .Validate(options => options.NodeTimeout >= TimeSpan.FromSeconds(1), "The node timeout must be at least a second.")
            .Validate(options => options.SequenceGapTimeout > TimeSpan.Zero, "The sequence gap timeout must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<RedisBackplane>();
        builder.Services.TryAddSingleton(provider => new RedisRateLimiter(provider.GetRequiredService<RedisBackplane>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IPubSub, RedisPubSub>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IPresence, RedisPresence>());
        builder.Services.TryAddSingleton<IClusterSocketCounts, RedisSocketCounts>();
        return builder;
    }

    /// <summary>
    /// A health check that reports <see cref="HealthStatus.Degraded"/> while this node cannot
    /// reach Redis (it then serves only its own sockets), for a readiness endpoint.
    /// </summary>
    public static IHealthChecksBuilder AddRedisChannels(this IHealthChecksBuilder builder, string name = "redis", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<RedisHealthCheck>(name, failureStatus: HealthStatus.Degraded, tags: tags ?? []);
    }
}
