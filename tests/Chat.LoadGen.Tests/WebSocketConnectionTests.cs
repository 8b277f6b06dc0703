using System.Net;
using System.Net.Sockets;
using System.Text;
using Chat.LoadGen.Wire;

namespace Chat.LoadGen.Tests;

/// <summary>The load generator's own WebSocket client against a server written out byte by byte.</summary>
public class WebSocketConnectionTests
{
    private sealed class Collector : IWebSocketHandler
    {
        public List<string> Messages { get; } = [];

        public TaskCompletionSource<string> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnMessage(WebSocketConnection connection, ReadOnlySpan<byte> payload)
        {
            lock (Messages)
            {
                Messages.Add(Encoding.UTF8.GetString(payload));
            }
        }

        public void OnClosed(WebSocketConnection connection, string reason) => Closed.TrySetResult(reason);
    }

    private static byte[] ServerFrame(byte opcode, byte[] payload, bool fin = true)
    {
        var head = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126)
        {
            head.Add((byte)payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            head.AddRange([126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        else
        {
            head.Add(127);
            head.AddRange(BitConverter.GetBytes((ulong)payload.Length).Reverse());
        }

        return [.. head, .. payload];
    }

    /// <summary>Reads one client frame, checks that it is masked, and unmasks it.</summary>
    private static async Task<(int Opcode, byte[] Payload)> ReadClientFrameAsync(NetworkStream stream)
    {
        var head = new byte[2];
        await stream.ReadExactlyAsync(head);
        Assert.True((head[1] & 0x80) != 0, "client frames must be masked");
        long length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            await stream.ReadExactlyAsync(extended);
            length = extended[0] << 8 | extended[1];
        }

        var mask = new byte[4];
        await stream.ReadExactlyAsync(mask);
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload);
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] ^= mask[i % 4];
        }

        return (head[0] & 0x0F, payload);
    }

    [Fact]
    public async Task Reads_frames_of_every_length_fragments_and_pings_and_answers_the_close()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var collector = new Collector();
        var connection = new WebSocketConnection(collector);
        var open = connection.OpenAsync(IPAddress.Loopback, (IPEndPoint)listener.LocalEndpoint, "/socket/websocket?vsn=2.0.0", CancellationToken.None);

        using var server = await listener.AcceptTcpClientAsync();
        var stream = server.GetStream();
        var request = new StringBuilder();
        var one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one);
            request.Append((char)one[0]);
        }

        Assert.StartsWith("GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\n", request.ToString(), StringComparison.Ordinal);
        Assert.Contains("Upgrade: websocket", request.ToString(), StringComparison.Ordinal);

        // The upgrade response and the first frame in one write, as servers often send them.
        var small = Encoding.UTF8.GetBytes("[null,null,\"room:a\",\"new_msg\",{}]");
        await stream.WriteAsync((byte[])[.. "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"u8.ToArray(), .. ServerFrame(1, small)]);
        await open;

        var medium = Encoding.UTF8.GetBytes(new string('m', 300));
        var large = Encoding.UTF8.GetBytes(new string('L', 70_000)); // more than the 8 KiB receive buffer
        await stream.WriteAsync(ServerFrame(1, medium));
        await stream.WriteAsync(ServerFrame(1, large));
        await stream.WriteAsync(ServerFrame(9, "ping!"u8.ToArray()));
        await stream.WriteAsync(ServerFrame(1, "frag"u8.ToArray(), fin: false));
        await stream.WriteAsync(ServerFrame(0, "mented"u8.ToArray()));
        // A frame split across two writes.
        var split = ServerFrame(1, "after the split"u8.ToArray());
        await stream.WriteAsync(split.AsMemory(0, 3));
        await Task.Delay(50);
        await stream.WriteAsync(split.AsMemory(3));

        var pong = await ReadClientFrameAsync(stream);
        Assert.Equal(0xA, pong.Opcode);
        Assert.Equal("ping!", Encoding.UTF8.GetString(pong.Payload));

        Assert.True(connection.SendText("[\"1\",\"1\",\"room:a\",\"phx_join\",{}]"u8));
        var sent = await ReadClientFrameAsync(stream);
        Assert.Equal(0x1, sent.Opcode);
        Assert.Equal("[\"1\",\"1\",\"room:a\",\"phx_join\",{}]", Encoding.UTF8.GetString(sent.Payload));

        await stream.WriteAsync(ServerFrame(8, [0x03, 0xE9])); // 1001
        var closeReply = await ReadClientFrameAsync(stream);
        Assert.Equal(0x8, closeReply.Opcode);
        Assert.Equal("closed by the server (1001)", await collector.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal([Encoding.UTF8.GetString(small), new string('m', 300), new string('L', 70_000), "fragmented", "after the split"], collector.Messages);
        Assert.False(connection.IsOpen);
    }

    [Fact]
    public async Task A_refused_upgrade_is_an_error_that_names_the_status()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connection = new WebSocketConnection(new Collector());
        var open = connection.OpenAsync(IPAddress.Loopback, (IPEndPoint)listener.LocalEndpoint, "/socket/websocket", CancellationToken.None);
        using var server = await listener.AcceptTcpClientAsync();
        var stream = server.GetStream();
        var buffer = new byte[4096];
        _ = await stream.ReadAsync(buffer);
        await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"u8.ToArray());

        var error = await Assert.ThrowsAsync<IOException>(() => open);
        Assert.Equal("upgrade refused: HTTP/1.1 403 Forbidden", error.Message);
    }
}
