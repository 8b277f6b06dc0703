using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Chat.Channels.Internal.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// RFC 6455 as the socket's own framing speaks it, checked with hand-made frames over a raw TCP
/// connection, both when the socket takes its connection over from Kestrel's HTTP layer and when
/// it is served on the upgraded stream.
/// </summary>
public sealed class WebSocketConformanceTests
{
    public static TheoryData<bool> Modes => [true, false];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_handshake_answers_101_with_the_accept_key_and_the_phoenix_subprotocol(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server, subProtocol: "phoenix");

        Assert.StartsWith("HTTP/1.1 101", client.ResponseHead);
        Assert.Contains($"Sec-WebSocket-Accept: {WebSocketHandshake.AcceptFor(client.Key)}", client.ResponseHead);
        Assert.Contains("Sec-WebSocket-Protocol: phoenix", client.ResponseHead);
    }

    [Fact]
    public void The_accept_key_is_the_one_RFC_6455_gives_for_its_example() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="));

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_fragmented_message_with_a_ping_between_its_fragments_is_reassembled_and_the_ping_answered(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);
        var text = """[null,"hb","phoenix","heartbeat",{}]"""u8.ToArray();

        await client.SendFrameAsync(fin: false, opcode: 0x1, text[..10]);
        await client.SendFrameAsync(fin: true, opcode: 0x9, "ping!"u8.ToArray());
        await client.SendFrameAsync(fin: false, opcode: 0x0, text[10..20]);
        await client.SendFrameAsync(fin: true, opcode: 0x0, text[20..]);

        var pong = await client.ReceiveFrameAsync();
        Assert.Equal(0xA, pong.Opcode);
        Assert.Equal("ping!", Encoding.UTF8.GetString(pong.Payload));
        var reply = await client.ReceiveFrameAsync();
        Assert.Equal(0x1, reply.Opcode);
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", Encoding.UTF8.GetString(reply.Payload));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Frames_that_arrive_together_and_in_pieces_are_all_read(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);
        var frames = new List<byte>();
        for (var i = 0; i < 3; i++)
        {
            frames.AddRange(RawClient.Frame(true, 0x1, Encoding.UTF8.GetBytes($$"""[null,"{{i}}","phoenix","heartbeat",{}]""")));
        }

        // Three frames in one write, then one frame a byte at a time.
        await client.SendRawAsync([.. frames]);
        foreach (var b in RawClient.Frame(true, 0x1, """[null,"3","phoenix","heartbeat",{}]"""u8.ToArray()))
        {
            await client.SendRawAsync([b]);
        }

        for (var i = 0; i < 4; i++)
        {
            var reply = JsonDocument.Parse((await client.ReceiveFrameAsync()).Payload).RootElement;
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), reply[1].GetString());
        }
    }

    [Theory]
    [InlineData(true, "unmasked")]
    [InlineData(true, "reserved bit")]
    [InlineData(true, "unknown opcode")]
    [InlineData(true, "continuation first")]
    [InlineData(true, "long ping")]
    [InlineData(true, "fragmented ping")]
    [InlineData(true, "new message inside a fragmented one")]
    [InlineData(false, "unmasked")]
    [InlineData(false, "reserved bit")]
    public async Task Protocol_violations_close_with_1002(bool takeOver, string violation)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);

        switch (violation)
        {
            case "unmasked":
                await client.SendRawAsync([0x81, 0x02, (byte)'h', (byte)'i']);
                break;
            case "reserved bit":
                await client.SendRawAsync(RawClient.Frame(true, 0x1, "{}"u8.ToArray(), firstByteExtra: 0x40));
                break;
            case "unknown opcode":
                await client.SendFrameAsync(true, 0x3, "x"u8.ToArray());
                break;
            case "continuation first":
                await client.SendFrameAsync(true, 0x0, "x"u8.ToArray());
                break;
            case "long ping":
                await client.SendFrameAsync(true, 0x9, new byte[126]);
                break;
            case "fragmented ping":
                await client.SendFrameAsync(false, 0x9, "x"u8.ToArray());
                break;
            default:
                await client.SendFrameAsync(false, 0x1, "[nu"u8.ToArray());
                await client.SendFrameAsync(true, 0x1, "ll]"u8.ToArray());
                break;
        }

        Assert.Equal(1002, await client.ReceiveCloseCodeAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_client_starting_the_close_handshake_gets_its_own_code_back_and_the_connection_ends(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);
        var payload = new byte[2 + 3];
        BinaryPrimitives.WriteUInt16BigEndian(payload, 4000);
        "bye"u8.CopyTo(payload.AsSpan(2));

        await client.SendFrameAsync(true, 0x8, payload);

        Assert.Equal(4000, await client.ReceiveCloseCodeAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_close_frame_with_an_invalid_code_is_answered_1002(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);

        await client.SendFrameAsync(true, 0x8, [0x03, 0xED]); // 1005 may never be sent

        Assert.Equal(1002, await client.ReceiveCloseCodeAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_message_over_the_limit_is_refused_from_its_header_with_1009(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);

        // Only the header: the server must not wait for 70 KiB it is going to refuse anyway.
        await client.SendRawAsync([0x81, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x18, 0x00, 1, 2, 3, 4]);

        Assert.Equal(1009, await client.ReceiveCloseCodeAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Fragments_that_add_up_to_more_than_the_limit_close_with_1009(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(options => options.MaxFrameBytes = 1000, takeOver);
        using var client = await RawClient.ConnectAsync(server);

        await client.SendFrameAsync(false, 0x1, new byte[600]);
        await client.SendFrameAsync(true, 0x0, new byte[600]);

        Assert.Equal(1009, await client.ReceiveCloseCodeAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Invalid_utf8_split_across_fragments_closes_with_1007(bool takeOver)
    {
        await using var server = await KestrelSocketServer.StartAsync(takeOverConnections: takeOver);
        using var client = await RawClient.ConnectAsync(server);

        await client.SendFrameAsync(false, 0x1, [.. "[null,\"1\",\"phoenix\",\"heartbeat\",{\"x\":\""u8, 0xE2, 0x82]);
        await client.SendFrameAsync(true, 0x0, [0x28, .. "\"}]"u8]);

        Assert.Equal(1007, await client.ReceiveCloseCodeAsync());
    }

    [Fact]
    public async Task A_taken_over_socket_keeps_working_past_kestrels_request_timeouts_and_http_still_works_beside_it()
    {
        await using var server = await KestrelSocketServer.StartAsync();
        using var client = await RawClient.ConnectAsync(server);
        using var http = new HttpClient();

        var status = (await http.GetAsync(new Uri(server.Address, "/nothing-here"))).StatusCode;
        await client.SendFrameAsync(true, 0x1, """[null,"1","phoenix","heartbeat",{}]"""u8.ToArray());

        Assert.Equal(System.Net.HttpStatusCode.NotFound, status);
        Assert.Equal(0x1, (await client.ReceiveFrameAsync()).Opcode);
        Assert.Equal(1, server.Services.GetRequiredService<SocketRegistry>().Count);
    }

    [Fact]
    public async Task Sockets_past_the_limit_get_503()
    {
        await using var server = await KestrelSocketServer.StartAsync(options => options.MaxSockets = 1);
        using var first = await RawClient.ConnectAsync(server);

        using var second = await RawClient.ConnectAsync(server, expectUpgrade: false);

        Assert.StartsWith("HTTP/1.1 503", second.ResponseHead);
    }

    /// <summary>A WebSocket client made of bytes: masks what it sends, reads what the server frames.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly List<byte> _pending = [];

        private RawClient(TcpClient tcp, string key)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            Key = key;
        }

        public string Key { get; }

        public string ResponseHead { get; private set; } = "";

        public static async Task<RawClient> ConnectAsync(KestrelSocketServer server, string? subProtocol = null, bool expectUpgrade = true)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(server.Address.Host, server.Address.Port);
            var client = new RawClient(tcp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
            var request = $"GET /socket/websocket?vsn=2.0.0&token=good HTTP/1.1\r\nHost: {server.Address.Authority}\r\nUpgrade: websocket\r\n" +
                $"Connection: Upgrade\r\nSec-WebSocket-Key: {client.Key}\r\nSec-WebSocket-Version: 13\r\n" +
                (subProtocol is null ? "" : $"Sec-WebSocket-Protocol: {subProtocol}\r\n") + "\r\n";
            await client.SendRawAsync(Encoding.ASCII.GetBytes(request));
            client.ResponseHead = await client.ReadHeadAsync();
            if (expectUpgrade)
            {
                Assert.StartsWith("HTTP/1.1 101", client.ResponseHead);
            }

            return client;
        }

        public static byte[] Frame(bool fin, byte opcode, byte[] payload, byte firstByteExtra = 0)
        {
            var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | firstByteExtra | opcode) };
            if (payload.Length < 126)
            {
                frame.Add((byte)(0x80 | payload.Length));
            }
            else if (payload.Length <= ushort.MaxValue)
            {
                frame.AddRange([0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length]);
            }
            else
            {
                frame.Add(0x80 | 127);
                frame.AddRange(BitConverter.GetBytes((ulong)payload.Length).Reverse());
            }

            var mask = RandomNumberGenerator.GetBytes(4);
            frame.AddRange(mask);
            frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
            return [.. frame];
        }

        public Task SendFrameAsync(bool fin, byte opcode, byte[] payload) => SendRawAsync(Frame(fin, opcode, payload));

        public async Task SendRawAsync(byte[] bytes)
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        public async Task<(int Opcode, byte[] Payload)> ReceiveFrameAsync()
        {
            await FillAsync(2);
            var opcode = _pending[0] & 0x0F;
            Assert.Equal(0x80, _pending[0] & 0xF0); // final, no reserved bits
            Assert.Equal(0, _pending[1] & 0x80);   // servers never mask
            var length = _pending[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                await FillAsync(4);
                length = (_pending[2] << 8) | _pending[3];
                header = 4;
            }

            await FillAsync(header + length);
            var payload = _pending.GetRange(header, length).ToArray();
            _pending.RemoveRange(0, header + length);
            return (opcode, payload);
        }

        public async Task<int> ReceiveCloseCodeAsync()
        {
            while (true)
            {
                var (opcode, payload) = await ReceiveFrameAsync();
                if (opcode == 0x8)
                {
                    return BinaryPrimitives.ReadUInt16BigEndian(payload);
                }
            }
        }

        /// <summary>True once the server has ended the TCP connection.</summary>
        public async Task<bool> IsClosedByServerAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[16];
            try
            {
                return await _stream.ReadAsync(buffer, timeout.Token) == 0;
            }
            catch (IOException)
            {
                return true;
            }
        }

        private async Task<string> ReadHeadAsync()
        {
            while (true)
            {
                var text = Encoding.ASCII.GetString([.. _pending]);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    _pending.RemoveRange(0, end + 4);
                    return text[..(end + 4)];
                }

                await ReadMoreAsync();
            }
        }

        private async Task FillAsync(int count)
        {
            while (_pending.Count < count)
            {
                await ReadMoreAsync();
            }
        }

        private async Task ReadMoreAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[8192];
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        public void Dispose() => _tcp.Dispose();
    }
}
