using System.Net.WebSockets;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.Internal.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>Timeouts and bounds, each on a server configured to reach them quickly.</summary>
public sealed class SocketLimitsTests
{
    [Fact]
    public async Task A_socket_that_sends_nothing_is_closed_after_the_idle_timeout()
    {
        await using var server = await KestrelSocketServer.StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(2));
        using var quiet = await server.ConnectAsync();
        using var chatty = await server.ConnectAsync();

        using var keepAlive = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            while (!keepAlive.IsCancellationRequested)
            {
                await chatty.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
                await chatty.ReceiveTextAsync();
                await Task.Delay(100);
            }
        });

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await quiet.ReceiveCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketState.Open, chatty.State);
        await keepAlive.CancelAsync();
        await heartbeats;
    }

    [Fact]
    public async Task A_socket_is_closed_with_4001_once_its_credentials_expire_and_one_that_left_before_is_forgotten()
    {
        await using var server = await KestrelSocketServer.StartAsync();
        var expiries = server.Services.GetRequiredService<ChannelsRuntime>().Expiries;
        var soon = DateTimeOffset.UtcNow.AddSeconds(2);
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);
        using var expiring = await server.ConnectAsync($"vsn=2.0.0&token=good&expires={soon.ToUnixTimeMilliseconds()}");
        using var lasting = await server.ConnectAsync($"vsn=2.0.0&token=good&expires={tomorrow.ToUnixTimeMilliseconds()}");
        using var leaving = await server.ConnectAsync($"vsn=2.0.0&token=good&expires={tomorrow.ToUnixTimeMilliseconds()}");
        await WaitUntilAsync(() => expiries.Count == 3);

        await leaving.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await WaitUntilAsync(() => expiries.Count == 2);

        Assert.Equal(SocketConnection.CredentialsExpired, await expiring.ReceiveCloseAsync(TimeSpan.FromSeconds(6)));
        Assert.True(DateTimeOffset.UtcNow >= soon, "closed before its credentials expired");
        await WaitUntilAsync(() => expiries.Count == 1);
        Assert.Equal(WebSocketState.Open, lasting.State);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_others_carry_on() =>
        await AssertStalledClientIsDroppedAsync(o => o.MaxPendingFrames = 16);

    [Fact]
    public async Task A_client_that_lets_large_frames_pile_up_is_disconnected_by_bytes_not_only_frames() =>
        // The frame bound alone would allow 100,000 frames of 16 KiB (1.6 GB) for this client.
        await AssertStalledClientIsDroppedAsync(o =>
        {
            o.MaxPendingFrames = 100_000;
            o.MaxPendingBytes = 256 * 1024;
        });

    private static async Task AssertStalledClientIsDroppedAsync(Action<ChannelsOptions> limits)
    {
        await using var server = await KestrelSocketServer.StartAsync(limits);
        var registry = server.Services.GetRequiredService<SocketRegistry>();
        using var reader = await server.ConnectAsync();
        using var stalled = await server.ConnectAsync();
        foreach (var socket in new[] { reader, stalled })
        {
            await socket.SendTextAsync("""["1","1","echo:flood","phx_join",{}]""");
            await socket.ReceiveTextAsync();
        }

        // Far more than the socket buffers of both ends can hold (32 MB). The reader keeps up,
        // one frame at a time; the stalled client reads none of it.
        var broadcaster = server.Services.GetRequiredService<Broadcaster>();
        var chunk = new string('z', 16 * 1024);
        for (var i = 0; i < 2000 && registry.Count > 1; i++)
        {
            await broadcaster.BroadcastAsync("echo:flood", "shout", new { i, chunk });
            await reader.ReceiveMessageAsync(TimeSpan.FromSeconds(10));
        }

        for (var i = 0; i < 200 && registry.Count > 1; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1, registry.Count);
        Assert.Equal(WebSocketState.Open, reader.State);
    }

    [Fact]
    public async Task One_socket_id_holds_at_most_its_share_of_sockets_and_a_closed_one_frees_its_place()
    {
        await using var server = await KestrelSocketServer.StartAsync(o => o.MaxSocketsPerId = 3);
        const string ann = "vsn=2.0.0&token=good&id=user_socket:7";
        var open = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await server.ConnectAsync(ann));
        }

        Assert.Equal(429, await server.RefusalStatusAsync(ann));
        using var bob = await server.ConnectAsync("vsn=2.0.0&token=good&id=user_socket:8");
        using var anonymous = await server.ConnectAsync();

        await open[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        using var again = await ConnectWhenFreeAsync(server, ann);
        Assert.Equal(WebSocketState.Open, again.State);
        Assert.All(open.Skip(1), socket => Assert.Equal(WebSocketState.Open, socket.State));
        open.ForEach(socket => socket.Dispose());
    }

    [Fact]
    public async Task One_address_holds_at_most_its_share_of_sockets_when_that_is_bounded()
    {
        await using var server = await KestrelSocketServer.StartAsync(o => o.MaxSocketsPerAddress = 2);
        using var first = await server.ConnectAsync("vsn=2.0.0&token=good&id=a");
        using var second = await server.ConnectAsync("vsn=2.0.0&token=good&id=b");

        Assert.Equal(429, await server.RefusalStatusAsync("vsn=2.0.0&token=good&id=c"));
        Assert.Equal(WebSocketState.Open, first.State);
    }

    /// <summary>Connects once the server has seen a socket close and freed its place.</summary>
    private static async Task<ClientWebSocket> ConnectWhenFreeAsync(KestrelSocketServer server, string query)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return await server.ConnectAsync(query);
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task The_hundred_and_first_channel_is_refused()
    {
        await using var server = await KestrelSocketServer.StartAsync();
        using var socket = await server.ConnectAsync();

        for (var i = 0; i < 100; i++)
        {
            await socket.SendTextAsync($$"""["{{i}}","{{i}}","echo:{{i}}","phx_join",{"silent":true}]""");
            Assert.Contains("\"ok\"", await socket.ReceiveTextAsync());
        }

        await socket.SendTextAsync("""["x","x","echo:100","phx_join",{}]""");
        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;

        Assert.Equal("too many channels joined", reply[4].GetProperty("response").GetProperty("reason").GetString());
    }
}
