using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chat.Channels.Internal.Transport;
using Chat.Channels.Internal.Transport.Tcp;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// The channels' own TCP transport below Kestrel, on real sockets: Kestrel's HTTP/1.1 layer on
/// top of it (plain, pipelined and half-closed requests), the upgrade and the socket after it,
/// and a connection's ends (abort, reset). The WebSocket tests run on it too (it is the test
/// server's default); these are what only a transport can get wrong.
/// </summary>
public sealed class TcpTransportTests : IAsyncLifetime
{
    private KestrelSocketServer _server = null!;

    public async Task InitializeAsync() => _server = await KestrelSocketServer.StartAsync(options => options.MaxFrameBytes = 64 * 1024);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<Socket> ConnectRawAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.Address.Host, _server.Address.Port);
        return socket;
    }

    private static string PlainRequest(string path = "/socket/websocket", string extra = "") =>
        $"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n";

    /// <summary>Reads until the server closes the connection (or the timeout).</summary>
    private static async Task<string> ReadToEndAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            if (count == 0)
            {
                return Encoding.ASCII.GetString(received.ToArray());
            }

            received.Write(buffer, 0, count);
        }
    }

    private static int CountResponses(string text) =>
        text.Split("HTTP/1.1 ").Length - 1;

    [Fact]
    public async Task The_server_accepts_through_the_channels_transport()
    {
        using var socket = await _server.ConnectAsync();
        await AssertAliveAsync(socket);

        Assert.Equal(typeof(TcpConnection), _server.LastConnectionType);
    }

    [Fact]
    public async Task A_plain_http_request_gets_its_response_and_the_connection_stays_open_for_the_next()
    {
        using var socket = await ConnectRawAsync();

        await socket.SendAsync(Encoding.ASCII.GetBytes(PlainRequest()));
        var first = await ReadResponseAsync(socket);
        await socket.SendAsync(Encoding.ASCII.GetBytes(PlainRequest(extra: "Connection: close\r\n")));
        var rest = await ReadToEndAsync(socket);

        Assert.StartsWith("HTTP/1.1 400", first);
        Assert.StartsWith("HTTP/1.1 400", rest);
    }

    [Fact]
    public async Task Pipelined_requests_in_one_write_get_every_response_in_order()
    {
        using var socket = await ConnectRawAsync();
        var pipelined = string.Concat(Enumerable.Repeat(PlainRequest(), 20)) + PlainRequest("/nowhere", "Connection: close\r\n");

        await socket.SendAsync(Encoding.ASCII.GetBytes(pipelined));
        var responses = await ReadToEndAsync(socket);

        Assert.Equal(21, CountResponses(responses));
        Assert.EndsWith("\r\n\r\n", responses[..responses.LastIndexOf("HTTP/1.1 404", StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task A_request_split_into_single_bytes_is_parsed_whole()
    {
        using var socket = await ConnectRawAsync();
        socket.NoDelay = true;

        foreach (var b in Encoding.ASCII.GetBytes(PlainRequest(extra: "Connection: close\r\n")))
        {
            await socket.SendAsync(new[] { b });
            await Task.Delay(1);
        }

        Assert.StartsWith("HTTP/1.1 400", await ReadToEndAsync(socket));
    }

    [Fact]
    public async Task A_client_that_half_closes_after_its_request_still_gets_the_response()
    {
        using var socket = await ConnectRawAsync();

        await socket.SendAsync(Encoding.ASCII.GetBytes(PlainRequest()));
        socket.Shutdown(SocketShutdown.Send);

        Assert.StartsWith("HTTP/1.1 400", await ReadToEndAsync(socket));
    }

    [Fact]
    public async Task Many_frames_both_ways_arrive_whole_and_in_order()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:many");
        const int count = 2000;

        // Sent without waiting for replies, so reads and writes overlap and batch up.
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await socket.SendTextAsync($$"""["1","{{i}}","echo:many","echo",{"i":{{i}},"pad":"{{new string('p', i % 700)}}"}]""");
            }
        });
        for (var i = 0; i < count; i++)
        {
            var reply = JsonDocument.Parse(await socket.ReceiveTextAsync(TimeSpan.FromSeconds(20))).RootElement;
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), reply[1].GetString());
            Assert.Equal(i % 700, reply[4].GetProperty("response").GetProperty("pad").GetString()!.Length);
        }

        await sending;
    }

    [Fact]
    public async Task Frames_larger_than_a_block_both_ways_arrive_whole()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:big");
        var pad = new string('q', 60_000);

        await socket.SendTextAsync($$"""["1","2","echo:big","echo",{"pad":"{{pad}}"}]""");

        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        Assert.Equal(pad, reply[4].GetProperty("response").GetProperty("pad").GetString());
    }

    [Fact]
    public async Task A_client_reset_leaves_the_registry_and_others_carry_on()
    {
        var registry = _server.Services.GetRequiredService<SocketRegistry>();
        using var other = await _server.ConnectAsync();
        using var raw = await ConnectRawAsync();
        await UpgradeRawAsync(raw);
        await WaitForAsync(() => registry.Count == 2);

        // Linger 0: the close sends a reset, not a FIN.
        raw.LingerState = new LingerOption(true, 0);
        raw.Close();

        await WaitForAsync(() => registry.Count == 1);
        await AssertAliveAsync(other);
    }

    [Fact]
    public async Task A_client_that_half_closes_a_socket_is_closed_and_leaves_the_registry()
    {
        var registry = _server.Services.GetRequiredService<SocketRegistry>();
        using var raw = await ConnectRawAsync();
        await UpgradeRawAsync(raw);
        await WaitForAsync(() => registry.Count == 1);

        raw.Shutdown(SocketShutdown.Send);

        await WaitForAsync(() => registry.Count == 0);
        // The server's side ends too: the client reads its end of stream.
        await ReadToEndAsync(raw);
    }

    private async Task UpgradeRawAsync(Socket raw)
    {
        var request = PlainRequest("/socket/websocket?vsn=2.0.0&token=good",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        await raw.SendAsync(Encoding.ASCII.GetBytes(request));
        Assert.StartsWith("HTTP/1.1 101", await ReadResponseAsync(raw));
    }

    /// <summary>Reads one response's head (a 400 here has no body beyond its headers).</summary>
    private static async Task<string> ReadResponseAsync(Socket socket)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new StringBuilder();
        var buffer = new byte[1];
        while (!received.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) == 0)
            {
                break;
            }

            received.Append((char)buffer[0]);
        }

        return received.ToString();
    }

    private static async Task JoinAsync(WebSocket socket, string topic)
    {
        await socket.SendTextAsync($$"""["1","1","{{topic}}","phx_join",{}]""");
        await socket.ReceiveTextAsync();
    }

    private static async Task AssertAliveAsync(WebSocket socket)
    {
        await socket.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReceiveTextAsync());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }
}
