using Chat.Channels.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>Limits that hold per user across nodes: two nodes take from one bucket and count in one window.</summary>
public sealed class RedisRateLimiterTests : IAsyncLifetime
{
    private readonly RedisCluster _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Two_nodes_take_from_one_bucket_and_a_refusal_says_when_the_next_token_comes()
    {
        var a = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();
        var b = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();

        var decisions = new List<RateDecision>();
        for (var i = 0; i < 10; i++)
        {
            // A bucket of 5 that refills one token a minute: 5 sends pass, whichever node they hit.
            decisions.Add((await (i % 2 == 0 ? a : b).TakeAsync("send:1", capacity: 5, perSecond: 1.0 / 60))!.Value);
        }

        Assert.Equal(5, decisions.Count(d => d.Allowed));
        var refused = decisions.Last();
        Assert.False(refused.Allowed);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.True((await a.TakeAsync("send:2", capacity: 5, perSecond: 1.0 / 60))!.Value.Allowed, "another user's bucket is full");
    }

    [Fact]
    public async Task Two_nodes_count_in_one_window_and_refusals_do_not_count()
    {
        var a = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();
        var b = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();

        var decisions = new List<RateDecision>();
        for (var i = 0; i < 6; i++)
        {
            decisions.Add((await (i % 2 == 0 ? a : b).CountAsync("rooms:1", limit: 3, TimeSpan.FromMinutes(1)))!.Value);
        }

        Assert.Equal([true, true, true, false, false, false], decisions.Select(d => d.Allowed));
        Assert.InRange(decisions[^1].RetryAfter, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));

        // One taken back makes room for exactly one more: the refusals were never counted.
        Assert.True(await b.UncountAsync("rooms:1"));
        Assert.True((await a.CountAsync("rooms:1", limit: 3, TimeSpan.FromMinutes(1)))!.Value.Allowed);
        Assert.False((await b.CountAsync("rooms:1", limit: 3, TimeSpan.FromMinutes(1)))!.Value.Allowed);
    }

    [Fact]
    public async Task A_throttle_lets_one_through_per_interval_across_nodes()
    {
        var a = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();
        var b = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();

        Assert.True(await a.TryOnceAsync("typing:1:9", TimeSpan.FromMinutes(1)));
        Assert.False(await b.TryOnceAsync("typing:1:9", TimeSpan.FromMinutes(1)));
        Assert.True(await b.TryOnceAsync("typing:1:10", TimeSpan.FromMinutes(1)));
    }
}
