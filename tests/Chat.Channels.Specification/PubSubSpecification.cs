using System.Net.WebSockets;
using Chat.Channels.PubSub;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// The specification of <see cref="IPubSub"/> on a cluster of two nodes: what any pubsub must
/// do, in-process or across nodes (SignalR's <c>ScaleoutHubLifetimeManagerTests</c> is the model).
/// </summary>
public abstract class PubSubSpecification : IAsyncLifetime
{
    private Cluster _cluster = null!;
    private ChannelTestHost _a = null!;
    private ChannelTestHost _b = null!;

    /// <summary>A new cluster with no nodes yet.</summary>
    protected abstract Cluster CreateCluster();

    public Task InitializeAsync()
    {
        _cluster = CreateCluster();
        _a = _cluster.AddNode();
        _b = _cluster.AddNode();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_broadcast_reaches_every_subscriber_on_every_node_once()
    {
        using var onA = await _a.SubscribeAsync("topic:1");
        using var onB = await _b.SubscribeAsync("topic:1");
        using var elsewhere = await _b.SubscribeAsync("topic:2");

        await _a.Broadcaster.BroadcastAsync("topic:1", "hello", new { n = 1 });

        Assert.Equal(1, (await onA.AssertBroadcastAsync("hello")).GetProperty("n").GetInt32());
        Assert.Equal(1, (await onB.AssertBroadcastAsync("hello")).GetProperty("n").GetInt32());
        await onA.RefuteBroadcastAsync("hello", TimeSpan.FromMilliseconds(200));
        await onB.RefuteBroadcastAsync("hello", TimeSpan.FromMilliseconds(50));
        await elsewhere.RefuteBroadcastAsync("hello", TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_subscriber_hears_nothing_after_it_unsubscribes_and_the_others_still_do()
    {
        var gone = await _b.SubscribeAsync("topic:1");
        using var stays = await _b.SubscribeAsync("topic:1");
        gone.Dispose();

        await _a.Broadcaster.BroadcastAsync("topic:1", "hello", null);

        await stays.AssertBroadcastAsync("hello");
        await gone.RefuteBroadcastAsync("hello", TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_topic_can_be_subscribed_again_after_its_last_subscriber_left()
    {
        (await _b.SubscribeAsync("topic:again")).Dispose();
        using var again = await _b.SubscribeAsync("topic:again");

        await _a.Broadcaster.BroadcastAsync("topic:again", "hello", null);

        await again.AssertBroadcastAsync("hello");
    }

    [Fact]
    public async Task The_broadcasts_of_one_publisher_arrive_in_the_order_published_on_every_node()
    {
        const int Count = 500;
        using var onA = await _a.SubscribeAsync("topic:order");
        using var onB = await _b.SubscribeAsync("topic:order");

        for (var i = 0; i < Count; i++)
        {
            await _a.Broadcaster.BroadcastAsync("topic:order", "n", new { n = i });
        }

        foreach (var probe in new[] { onA, onB })
        {
            for (var i = 0; i < Count; i++)
            {
                Assert.Equal(i, (await probe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
            }
        }
    }

    [Fact]
    public async Task Sequenced_broadcasts_from_two_nodes_arrive_in_sequence_on_every_node()
    {
        const int Count = 200;
        using var onA = await _a.SubscribeAsync("topic:sequenced");
        using var onB = await _b.SubscribeAsync("topic:sequenced");

        // Positions 1..Count, published in order, alternately from each node, as two nodes
        // storing into one room publish after their commits.
        for (var i = 1; i <= Count; i++)
        {
            var node = i % 2 == 0 ? _a : _b;
            await node.Services.GetRequiredService<IPubSub>().BroadcastAsync(
                new Broadcast("topic:sequenced", "n", Payload.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")))
                {
                    Sequence = new BroadcastSequence(i - 1, i),
                });
        }

        foreach (var probe in new[] { onA, onB })
        {
            for (var i = 1; i <= Count; i++)
            {
                Assert.Equal(i, (await probe.AssertBroadcastAsync("n")).GetProperty("n").GetInt32());
            }
        }
    }

    [Fact]
    public async Task Broadcast_from_a_channel_skips_only_that_channel_on_every_node()
    {
        var (_, sender) = await Connect(_a, "ann").JoinAsync("echo:from");
        var (_, besideSender) = await Connect(_a, "bob").JoinAsync("echo:from");
        var (_, elsewhere) = await Connect(_b, "cid").JoinAsync("echo:from");

        await sender.PushAsync("broadcast_from", new { text = "hi" });

        await besideSender.AssertPushAsync("shout");
        await elsewhere.AssertPushAsync("shout");
        await sender.RefutePushAsync("shout", TimeSpan.FromMilliseconds(200));
        await besideSender.RefutePushAsync("shout", TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Binary_payloads_cross_nodes_unchanged()
    {
        using var onB = await _b.SubscribeAsync("topic:binary");
        var bytes = new byte[] { 0, 1, 2, 250, 255 };

        await _a.Services.GetRequiredService<IPubSub>().BroadcastAsync(new Broadcast("topic:binary", "blob", Payload.FromBinary(bytes)));

        var received = await onB.TakeBroadcastAsync("blob");
        Assert.True(received.Payload.IsBinary);
        Assert.Equal(bytes, received.Payload.Bytes.ToArray());
    }

    [Fact]
    public async Task A_disconnect_closes_the_users_sockets_on_every_node_and_no_one_elses()
    {
        var onA = Connect(_a, "ann", id: "user_socket:1");
        var onB = Connect(_b, "ann", id: "user_socket:1");
        var other = Connect(_b, "bob", id: "user_socket:2");

        await _a.Broadcaster.DisconnectAsync("user_socket:1");

        await WaitUntilAsync(() => onA.CloseStatus is not null && onB.CloseStatus is not null);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, onA.CloseStatus);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, onB.CloseStatus);
        await Task.Delay(100);
        Assert.Null(other.CloseStatus);
    }

    private static TestSocket Connect(ChannelTestHost node, string user, string? id = null) =>
        node.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = user }, id);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + ChannelTestHost.DefaultTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TestAssertionException("The condition never held.");
            }

            await Task.Delay(10);
        }
    }
}
