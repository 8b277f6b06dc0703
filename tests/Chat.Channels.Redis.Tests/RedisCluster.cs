using Chat.Channels.Redis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Chat.Channels.Tests;

/// <summary>
/// Nodes that share the test Redis (<c>CHAT_TEST_REDIS</c>, which <c>./test.sh</c> starts) under a
/// key prefix of their own, so that clusters of parallel tests never hear each other.
/// </summary>
public sealed class RedisCluster(Action<RedisChannelsOptions>? configure = null) : Cluster
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("CHAT_TEST_REDIS") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("CHAT_TEST_REDIS is not set: run the tests through ./test.sh, which starts Redis.");

    /// <summary>This cluster's key prefix.</summary>
    public string Prefix { get; } = $"test-{Guid.NewGuid():N}:";

    protected override void Configure(IServiceCollection services, Action<ChannelsOptions>? options) =>
        new ChannelsBuilder(services).AddRedis(ConnectionString, redis =>
        {
            redis.Prefix = Prefix;
            configure?.Invoke(redis);
        });

    /// <summary>Removes every key the cluster left behind.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var database = connection.GetDatabase();
        await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
        {
            await database.KeyDeleteAsync(key);
        }
    }
}

public sealed class RedisPubSubSpecification : PubSubSpecification
{
    protected override Cluster CreateCluster() => new RedisCluster();
}

public sealed class RedisPresenceSpecification : PresenceSpecification
{
    protected override Cluster CreateCluster() => new RedisCluster();
}
