using System.Collections.Concurrent;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>Each joined channel lives in a DI scope of its own, and its socket's <c>Ended</c> token fires when it ends.</summary>
public sealed class ChannelScopeTests : IAsyncLifetime
{
    private ChannelTestHost _host = null!;

    private LifetimeLog Log => _host.Services.GetRequiredService<LifetimeLog>();

    public Task InitializeAsync()
    {
        _host = ChannelTestHost.Create(services =>
        {
            services.AddSingleton<LifetimeLog>();
            services.AddScoped<ScopedProbe>();
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private TestSocket Connect() => _host.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "ann" });

    [Fact]
    public async Task Each_join_gets_its_own_scope_and_the_scope_ends_with_the_channel()
    {
        var socket = Connect();
        var (_, first) = await socket.JoinAsync("scoped:1");
        var (_, second) = await socket.JoinAsync("scoped:2");

        var one = (await first.PushAsync("probe")).Response.Str("probe");
        var again = (await first.PushAsync("probe")).Response.Str("probe");
        var two = (await second.PushAsync("probe")).Response.Str("probe");

        Assert.Equal(one, again);
        Assert.NotEqual(one, two);
        Assert.Empty(Log.Disposed);

        await first.LeaveAsync();

        await Log.WaitForAsync(() => Log.Disposed.Contains(one!));
        Assert.DoesNotContain(two, Log.Disposed);
        Assert.Contains("scoped:1", Log.ChannelsDisposed);
    }

    [Fact]
    public async Task Closing_the_socket_ends_the_scope_of_every_channel()
    {
        var socket = Connect();
        var (_, channel) = await socket.JoinAsync("scoped:1");
        var probe = (await channel.PushAsync("probe")).Response.Str("probe");

        await socket.CloseAsync();

        Assert.Contains(probe, Log.Disposed);
        Assert.Contains("scoped:1", Log.ChannelsDisposed);
    }

    [Fact]
    public async Task A_refused_join_ends_its_scope_too()
    {
        var (reply, _) = await Connect().JoinAsync("scoped:1", new { refuse = true });

        Assert.Equal("error", reply.Status);
        await Log.WaitForAsync(() => Log.Disposed.Count == 1);
    }

    [Fact]
    public async Task Ended_cancels_a_callback_that_is_still_running_when_the_socket_closes()
    {
        var socket = Connect();
        var (_, channel) = await socket.JoinAsync("scoped:1");
        await channel.PushNoWaitAsync("wait_for_end");
        await Log.WaitForAsync(() => Log.Waiting.Contains("scoped:1"));

        // Without the token the running callback would hold the channel's terminate forever.
        await socket.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("scoped:1", Log.Cancelled);
    }

    [Fact]
    public async Task Ended_fires_before_terminate_when_the_client_leaves()
    {
        var (_, channel) = await Connect().JoinAsync("scoped:1");

        await channel.LeaveAsync();

        await Log.WaitForAsync(() => Log.TerminateSawEnded.ContainsKey("scoped:1"));
        Assert.True(Log.TerminateSawEnded["scoped:1"]);
    }

    [Fact]
    public async Task Ended_is_already_cancelled_when_asked_for_after_the_end()
    {
        var (_, channel) = await Connect().JoinAsync("scoped:1", new { keep_socket = true });

        await channel.LeaveAsync();

        await Log.WaitForAsync(() => Log.LateTokenCancelled.ContainsKey("scoped:1"));
        Assert.True(Log.LateTokenCancelled["scoped:1"]);
    }
}
