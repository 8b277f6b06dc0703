using Chat.Channels.Internal;
using Chat.Channels.Testing;

namespace Chat.Channels.Tests;

public sealed class ChannelRouterTests
{
    private sealed class A : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => new(JoinResult.Ok());
    }

    private sealed class B : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => new(JoinResult.Ok());
    }

    [Fact]
    public void Wildcards_match_by_prefix_and_exact_patterns_match_exactly()
    {
        var router = new ChannelRouter();
        router.Add("chat:lobby", typeof(B));
        router.Add("room:*", typeof(A));

        Assert.Equal(typeof(A), router.Match("room:lobby"));
        Assert.Equal(typeof(A), router.Match("room:"));
        Assert.Equal(typeof(B), router.Match("chat:lobby"));
        Assert.Null(router.Match("chat:lobby2"));
        Assert.Null(router.Match("rooms:1"));
        Assert.Null(router.Match("ROOM:1"));
    }

    [Fact]
    public void The_first_matching_route_wins()
    {
        var router = new ChannelRouter();
        router.Add("room:special", typeof(B));
        router.Add("room:*", typeof(A));

        Assert.Equal(typeof(B), router.Match("room:special"));
        Assert.Equal(typeof(A), router.Match("room:other"));
    }

    [Fact]
    public void A_star_anywhere_but_the_end_or_a_type_that_is_not_a_channel_is_refused()
    {
        var router = new ChannelRouter();

        Assert.Throws<ArgumentException>(() => router.Add("room:*:x", typeof(A)));
        Assert.Throws<ArgumentException>(() => router.Add("room:*", typeof(string)));
        Assert.Throws<ArgumentException>(() => router.Add("room:*", typeof(Channel)));
    }

    [Fact]
    public async Task Unrouted_topics_are_answered_with_unmatched_topic()
    {
        // Integration with the socket: the harness drives the real connection.
        await using var host = ChannelTestHost.Create();
        var socket = host.Connect<TestSocketHandler>();

        var (reply, _) = await socket.JoinAsync("nowhere:1");

        Assert.Equal("error", reply.Status);
        Assert.Equal("unmatched topic", reply.Response.GetProperty("reason").GetString());
    }
}
