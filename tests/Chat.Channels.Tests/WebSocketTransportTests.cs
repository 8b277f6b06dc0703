using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chat.Channels.Internal.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>The WebSocket endpoint on a real Kestrel server, spoken to by hand.</summary>
public sealed class WebSocketTransportTests : IAsyncLifetime
{
    private KestrelSocketServer _server = null!;

    public async Task InitializeAsync() => _server = await KestrelSocketServer.StartAsync(options =>
    {
        options.AllowedOrigins.Add("https://allowed.example");
        options.MaxFrameBytes = 64 * 1024;
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<JsonElement> JoinAsync(WebSocket socket, string topic, string joinRef = "1")
    {
        await socket.SendTextAsync($$"""["{{joinRef}}","{{joinRef}}","{{topic}}","phx_join",{}]""");
        return JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
    }

    private static async Task AssertAliveAsync(WebSocket socket)
    {
        await socket.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("vsn=3.0.0&token=good", 403)]
    [InlineData("vsn=2.0.0&token=bad", 403)]
    [InlineData("vsn=2.0.0", 403)]
    public async Task Refused_connects_get_http_403_and_no_socket(string query, int status) =>
        Assert.Equal(status, await _server.RefusalStatusAsync(query));

    [Fact]
    public async Task An_origin_that_is_not_allowed_gets_403()
    {
        var refused = await _server.RefusalStatusAsync("vsn=2.0.0&token=good", o => o.SetRequestHeader("Origin", "https://evil.example"));
        using var allowed = await _server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", "https://allowed.example"));
        using var native = await _server.ConnectAsync();

        Assert.Equal(403, refused);
        await AssertAliveAsync(allowed);
        await AssertAliveAsync(native);
    }

    [Fact]
    public async Task The_auth_token_subprotocol_is_read_and_answered_with_phoenix()
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes("good")).TrimEnd('=');
        using var socket = await _server.ConnectAsync("vsn=2.0.0", o =>
        {
            o.AddSubProtocol("phoenix");
            o.AddSubProtocol("base64url.bearer.phx." + encoded);
        });

        Assert.Equal("phoenix", socket.SubProtocol);
        await AssertAliveAsync(socket);
    }

    [Fact]
    public async Task A_bad_auth_token_subprotocol_gets_403()
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes("wrong")).TrimEnd('=');

        var status = await _server.RefusalStatusAsync("vsn=2.0.0", o =>
        {
            o.AddSubProtocol("phoenix");
            o.AddSubProtocol("base64url.bearer.phx." + encoded);
        });

        Assert.Equal(403, status);
    }

    [Theory]
    [InlineData("""{"not":"an array"}""")]
    [InlineData("""["1","2","echo:1","phx_join"]""")]
    [InlineData("""["1","2",7,"phx_join",{}]""")]
    [InlineData("""["1","2","echo:1","phx_join",{}""")]
    public async Task Undecodable_text_closes_that_socket_with_1007_and_no_other(string frame)
    {
        using var bystander = await _server.ConnectAsync();
        using var offender = await _server.ConnectAsync();

        await offender.SendTextAsync(frame);

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await offender.ReceiveCloseAsync());
        await AssertAliveAsync(bystander);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_text_frame_closes_that_socket_only()
    {
        using var bystander = await _server.ConnectAsync();
        using var socket = await _server.ConnectAsync();
        byte[] frame = [.. "[null,\"1\",\"phoenix\",\"heartbeat\",{\"x\":\""u8, 0xC3, 0x28, .. "\"}]"u8];

        await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);

        // .NET's WebSocket checks UTF-8 itself: it sends 1007 and then drops the connection at
        // once, so the client sees the close frame or, when the drop wins the race, a reset.
        try
        {
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await socket.ReceiveCloseAsync());
        }
        catch (WebSocketException)
        {
            Assert.Equal(WebSocketState.Aborted, socket.State);
        }

        await AssertAliveAsync(bystander);
    }

    [Fact]
    public async Task A_frame_over_64_KiB_closes_with_1009_and_no_other()
    {
        using var bystander = await _server.ConnectAsync();
        using var offender = await _server.ConnectAsync();
        var big = new string('x', 70 * 1024);

        await offender.SendTextAsync($$"""["1","1","echo:1","phx_join",{"pad":"{{big}}"}]""");

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await offender.ReceiveCloseAsync());
        await AssertAliveAsync(bystander);
    }

    [Fact]
    public async Task A_frame_just_under_the_limit_is_accepted()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:1");
        var pad = new string('y', 60 * 1024);

        await socket.SendTextAsync($$"""["1","2","echo:1","echo",{"pad":"{{pad}}"}]""");

        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        Assert.Equal(pad.Length, reply[4].GetProperty("response").GetProperty("pad").GetString()!.Length);
    }

    [Fact]
    public async Task A_megabyte_broadcast_reaches_every_member_whole_even_when_they_read_late()
    {
        using var first = await _server.ConnectAsync();
        using var second = await _server.ConnectAsync();
        await JoinAsync(first, "echo:big");
        await JoinAsync(second, "echo:big");
        var text = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i % 10}bcdefghijklmnopqrstuvwx"));

        await _server.Services.GetRequiredService<Broadcaster>().BroadcastAsync("echo:big", "big", new { text });
        await _server.Services.GetRequiredService<Broadcaster>().BroadcastAsync("echo:big", "after", new { n = 1 });
        // The frames are written into each connection a chunk at a time while nobody reads.
        await Task.Delay(300);

        foreach (var socket in new[] { first, second })
        {
            var big = JsonDocument.Parse(await socket.ReceiveTextAsync(TimeSpan.FromSeconds(10))).RootElement;
            Assert.Equal("big", big[3].GetString());
            Assert.Equal(text, big[4].GetProperty("text").GetString());
            var after = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
            Assert.Equal("after", after[3].GetString());
        }
    }

    [Fact]
    public async Task Binary_pushes_are_decoded_and_binary_replies_encoded()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:1");
        byte[] push = [0, 1, 1, 6, 4, .. "12echo:1echo"u8, 1, 2, 3];

        await socket.SendBinaryAsync(push);

        var (type, data) = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal([1, 1, 1, 6, 2, .. "12echo:1ok"u8, 1, 2, 3], data);
    }

    [Fact]
    public async Task Binary_frames_of_a_server_kind_close_with_1003()
    {
        using var socket = await _server.ConnectAsync();

        await socket.SendBinaryAsync([2, 1, 1, (byte)'t', (byte)'e']);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task The_v1_serializer_speaks_json_objects_and_refuses_binary()
    {
        using var socket = await _server.ConnectAsync("vsn=1.0.0&token=good");

        await socket.SendTextAsync("""{"topic":"echo:1","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}""");
        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        await socket.SendTextAsync("""{"topic":"echo:1","event":"broadcast","payload":{"v":1},"ref":"2"}""");
        var first = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        var second = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;

        Assert.Equal("phx_reply", reply.GetProperty("event").GetString());
        Assert.Equal("ok", reply.GetProperty("payload").GetProperty("status").GetString());
        Assert.Equal("1", reply.GetProperty("ref").GetString());
        var broadcast = first.GetProperty("event").GetString() == "shout" ? first : second;
        Assert.Equal(1, broadcast.GetProperty("payload").GetProperty("v").GetInt32());
        Assert.Equal(JsonValueKind.Null, broadcast.GetProperty("ref").ValueKind);

        await socket.SendBinaryAsync([0, 0, 0, 1, 1, (byte)'t', (byte)'e']);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task No_vsn_means_the_v1_serializer()
    {
        using var socket = await _server.ConnectAsync("token=good");

        await socket.SendTextAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"9"}""");

        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        Assert.Equal("9", reply.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task A_stale_join_ref_is_ignored_over_the_wire()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:1", joinRef: "1");
        await socket.SendTextAsync("""["3","3","echo:1","phx_join",{}]""");
        var closeOrReply = new[] { await socket.ReceiveTextAsync(), await socket.ReceiveTextAsync() };
        Assert.Contains(closeOrReply, f => f.Contains("phx_close") && f.StartsWith("[\"1\""));

        await socket.SendTextAsync("""["1","4","echo:1","echo",{"stale":true}]""");
        await socket.SendTextAsync("""["3","5","echo:1","echo",{"stale":false}]""");

        var reply = JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;
        Assert.Equal("5", reply[1].GetString());
    }

    [Fact]
    public async Task Server_shutdown_closes_sockets_with_1012()
    {
        using var socket = await _server.ConnectAsync();
        await JoinAsync(socket, "echo:1");

        var stopping = _server.StopAsync();

        Assert.Equal((WebSocketCloseStatus)1012, await socket.ReceiveCloseAsync());
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await stopping;
        var reason = await _server.Services.GetRequiredService<TerminateLog>().WaitForAsync("echo:1");
        Assert.Equal(TerminateKind.Shutdown, reason.Kind);
    }

    [Fact]
    public async Task A_disconnect_closes_the_users_sockets_with_1001()
    {
        using var socket = await _server.ConnectAsync("vsn=2.0.0&token=good&id=user_socket:7");
        // The handshake's answer comes before the socket subscribes to its id; a heartbeat's
        // reply comes after.
        await AssertAliveAsync(socket);

        await _server.Services.GetRequiredService<Broadcaster>().DisconnectAsync("user_socket:7");

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task Closed_sockets_leave_the_registry()
    {
        var registry = _server.Services.GetRequiredService<SocketRegistry>();
        var socket = await _server.ConnectAsync();
        await AssertAliveAsync(socket);
        Assert.Equal(1, registry.Count);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        for (var i = 0; i < 100 && registry.Count > 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, registry.Count);
    }
}
