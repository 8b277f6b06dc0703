using Chat.Channels.PubSub;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// A topic's sequenced broadcasts across nodes: put in order in Redis whatever order the
/// nodes publish them in, and where the one before never comes, the topic's channels rejoin.
/// </summary>
public sealed class RedisSequenceTests
{
    private static Broadcast Message(string topic, long previous, long current) =>
        new(topic, "n", Payload.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{current}}}"))) { Sequence = new BroadcastSequence(previous, current) };

    [Fact]
    public async Task A_broadcast_published_before_the_one_it_follows_waits_for_it()
    {
        // The default gap timeout: a loaded machine must not take the late one for a lost one.
        await using var cluster = new RedisCluster();
        var a = cluster.AddNode();
        var b = cluster.AddNode();
        using var probe = await b.SubscribeAsync("seq:wait");
        var pubSub = a.Services.GetRequiredService<IPubSub>();

        await pubSub.BroadcastAsync(Message("seq:wait", 0, 10));
        Assert.Equal(10, (await probe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
        // 12 follows 11, which another node stored first and publishes late.
        await pubSub.BroadcastAsync(Message("seq:wait", 11, 12));
        await b.Services.GetRequiredService<IPubSub>().BroadcastAsync(Message("seq:wait", 10, 11));

        Assert.Equal(11, (await probe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
        Assert.Equal(12, (await probe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
        await probe.RefuteBroadcastAsync("phx_error", TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task When_the_one_before_never_comes_the_topics_channels_rejoin_on_every_node()
    {
        await using var cluster = new RedisCluster(redis => redis.SequenceGapTimeout = TimeSpan.FromMilliseconds(300));
        var a = cluster.AddNode();
        var b = cluster.AddNode();
        var (_, onA) = await a.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "ann" }).JoinAsync("echo:gap");
        var (_, onB) = await b.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "bob" }).JoinAsync("echo:gap");
        var pubSub = a.Services.GetRequiredService<IPubSub>();
        await pubSub.BroadcastAsync(Message("echo:gap", 0, 1));
        await onA.AssertPushAsync("n");
        await onB.AssertPushAsync("n");

        // 3 follows 2, whose node died between storing and publishing it.
        await pubSub.BroadcastAsync(Message("echo:gap", 2, 3));

        Assert.Equal("interrupted", (await onA.AssertPushAsync("phx_error")).Str("reason"));
        Assert.Equal("interrupted", (await onB.AssertPushAsync("phx_error")).Str("reason"));
        await onB.RefutePushAsync("n");
    }
}
