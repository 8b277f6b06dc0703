using Chat.Channels.PubSub;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Chat.Channels.Tests;

/// <summary>
/// What the fan-out costs Redis, seen from Redis itself: one publish per broadcast however many
/// subscribers, a node subscribed to a topic only while it has local subscribers there, and
/// deployments under different prefixes that share one Redis without hearing each other.
/// </summary>
public sealed class RedisFanOutTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(RedisCluster.ConnectionString);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private static RedisChannel TopicChannel(RedisCluster cluster, string topic) => RedisChannel.Literal(cluster.Prefix + "topic:" + topic);

    [Fact]
    public async Task A_broadcast_is_one_publish_whatever_the_number_of_subscribers_and_nodes()
    {
        await using var cluster = new RedisCluster();
        var a = cluster.AddNode();
        var b = cluster.AddNode();
        var probes = new List<BroadcastProbe>();
        foreach (var node in new[] { a, a, a, b, b, b })
        {
            probes.Add(await node.SubscribeAsync("fan:one"));
        }

        // Everything published on the topic's channel, as Redis sees it.
        var published = new List<byte[]>();
        await _redis.GetSubscriber().SubscribeAsync(TopicChannel(cluster, "fan:one"), (_, message) =>
        {
            lock (published)
            {
                published.Add((byte[])message!);
            }
        });

        await a.Broadcaster.BroadcastAsync("fan:one", "hello", new { n = 1 });

        foreach (var probe in probes)
        {
            await probe.AssertBroadcastAsync("hello");
        }

        await Task.Delay(200);
        lock (published)
        {
            Assert.Single(published);
        }

        probes.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task A_node_is_subscribed_to_a_topic_only_while_it_has_local_subscribers_there()
    {
        await using var cluster = new RedisCluster();
        var a = cluster.AddNode();
        var b = cluster.AddNode();
        Task NodesSubscribedAsync(long expected) => AssertNodesSubscribedAsync(TopicChannel(cluster, "fan:members"), expected);

        await NodesSubscribedAsync(0);
        var onA = await a.SubscribeAsync("fan:members");
        await NodesSubscribedAsync(1);
        var firstOnB = await b.SubscribeAsync("fan:members");
        var secondOnB = await b.SubscribeAsync("fan:members");
        await NodesSubscribedAsync(2);

        firstOnB.Dispose();
        await Task.Delay(200);
        await NodesSubscribedAsync(2);
        secondOnB.Dispose();
        await NodesSubscribedAsync(1);
        onA.Dispose();
        await NodesSubscribedAsync(0);

        // And back, for a member who comes again.
        using var again = await b.SubscribeAsync("fan:members");
        await NodesSubscribedAsync(1);
        await a.Broadcaster.BroadcastAsync("fan:members", "hello", null);
        await again.AssertBroadcastAsync("hello");
    }

    [Fact]
    public async Task A_node_whose_members_leave_and_come_straight_back_stays_subscribed()
    {
        await using var cluster = new RedisCluster();
        var a = cluster.AddNode();
        var b = cluster.AddNode();

        // A channel's rejoin: the last subscriber leaves and a new one subscribes at once,
        // while the unsubscribe is still on its way to Redis.
        for (var i = 0; i < 30; i++)
        {
            (await b.SubscribeAsync("fan:churn")).Dispose();
        }

        using var stays = await b.SubscribeAsync("fan:churn");

        await AssertNodesSubscribedAsync(TopicChannel(cluster, "fan:churn"), 1);
        await a.Broadcaster.BroadcastAsync("fan:churn", "hello", null);
        await stays.AssertBroadcastAsync("hello");
    }

    /// <summary>PUBSUB NUMSUB: the connections subscribed to the channel, one per subscribed node; waits for it to settle.</summary>
    private async Task AssertNodesSubscribedAsync(RedisChannel channel, long expected)
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var deadline = DateTime.UtcNow + ChannelTestHost.DefaultTimeout;
        long count;
        while ((count = await server.SubscriptionSubscriberCountAsync(channel)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // Settled, not passing through: still so a moment later.
        await Task.Delay(100);
        Assert.Equal(expected, await server.SubscriptionSubscriberCountAsync(channel));
    }

    [Fact]
    public async Task Two_deployments_under_different_prefixes_share_one_Redis_without_hearing_each_other()
    {
        await using var production = new RedisCluster();
        await using var staging = new RedisCluster();
        var inProduction = production.AddNode();
        var inStaging = staging.AddNode();
        using var productionProbe = await inProduction.SubscribeAsync("room:lobby");
        using var stagingProbe = await inStaging.SubscribeAsync("room:lobby");

        await inProduction.Broadcaster.BroadcastAsync("room:lobby", "hello", new { from = "production" });

        Assert.Equal("production", (await productionProbe.AssertBroadcastAsync("hello")).Str("from"));
        await stagingProbe.RefuteBroadcastAsync("hello", TimeSpan.FromMilliseconds(300));

        // Their sequences are apart too: production's room is at 5, staging's starts at 1.
        static Broadcast Numbered(long previous, long current) =>
            new("room:lobby", "n", Payload.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{current}}}"))) { Sequence = new BroadcastSequence(previous, current) };
        await inProduction.Services.GetRequiredService<IPubSub>().BroadcastAsync(Numbered(0, 5));
        Assert.Equal(5, (await productionProbe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
        await inStaging.Services.GetRequiredService<IPubSub>().BroadcastAsync(Numbered(0, 1));
        Assert.Equal(1, (await stagingProbe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
        await productionProbe.RefuteBroadcastAsync("n", TimeSpan.FromMilliseconds(200));

        // Every key either deployment made is under its own prefix.
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.NotEmpty(await server.KeysAsync(pattern: production.Prefix + "*").ToListAsync());
        Assert.NotEmpty(await server.KeysAsync(pattern: staging.Prefix + "*").ToListAsync());
        Assert.Empty(await server.KeysAsync(pattern: "seq:*").ToListAsync());
        Assert.Empty(await server.KeysAsync(pattern: "nodes").ToListAsync());
    }
}
