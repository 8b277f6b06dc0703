using Chat.Channels.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>Limits that hold per user across nodes: two nodes take from one bucket.</summary>
public sealed class RedisRateLimiterTests : IAsyncLifetime
{
    private readonly RedisCluster _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Two_nodes_take_from_one_bucket()
    {
        var a = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();
        var b = _cluster.AddNode().Services.GetRequiredService<RedisRateLimiter>();

        var taken = 0;
        for (var i = 0; i < 10; i++)
        {
            // A bucket of 5 that refills one token a minute: 5 sends pass, whichever node they hit.
            if (await (i % 2 == 0 ? a : b).TryTakeAsync("send:1", capacity: 5, perSecond: 1.0 / 60) == true)
            {
                taken++;
            }
        }

        Assert.Equal(5, taken);
        Assert.True(await a.TryTakeAsync("send:2", capacity: 5, perSecond: 1.0 / 60), "another user's bucket is full");
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
