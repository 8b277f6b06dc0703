using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Chat.Channels.Tests;

/// <summary>
/// Plain HTTP through the channels' own TCP transport, each case run on Kestrel's socket
/// transport too: the own transport serves every HTTP request in production, and must do at
/// least what the one it replaces does.
/// </summary>
public sealed class TcpTransportHttpTests
{
    public static TheoryData<bool> Transports => new() { true, false };

    /// <remarks>Not on Kestrel's transport: it takes the FIN for the client going away and aborts the request.</remarks>
    [Fact]
    public async Task A_client_that_half_closes_while_its_request_is_handled_still_gets_the_response()
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets: true);
        // One request first, so that compiling the request path (slow in a loaded Debug run)
        // does not eat into the second's grace after its FIN.
        using (var first = await server.ConnectAsync())
        {
            await TcpHttpServer.SendAsync(first, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(first)));
        }

        using var socket = await server.ConnectAsync();
        await TcpHttpServer.SendAsync(socket, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        socket.Shutdown(SocketShutdown.Send);
        var response = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(socket));

        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("\r\n\r\n4\r\ndone\r\n0\r\n\r\n", response, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_that_goes_away_during_a_request_aborts_it(bool ownSockets)
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets);
        var socket = await server.ConnectAsync();

        await TcpHttpServer.SendAsync(socket, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
        await server.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        socket.Dispose();

        // A long poll holds its request until the client goes: if the server never notices, it
        // hands the next messages to a request nobody reads.
        await server.RequestAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_large_response_reaches_a_slow_reader_whole(bool ownSockets)
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets);
        using var socket = await server.ConnectAsync();
        const int kib = 16 * 1024;

        await TcpHttpServer.SendAsync(socket, $"GET /big/{kib} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int count;
        var reads = 0;
        while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token)) > 0)
        {
            received.Write(buffer, 0, count);
            if (++reads % 4 == 0)
            {
                // Slow enough that the server's sends wait for room again and again.
                await Task.Delay(5);
            }
        }

        var bytes = received.ToArray();
        var headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(bytes, 0, headEnd));
        var piece = TcpHttpServer.Pattern(16 * 1024);
        Assert.Equal(kib * 1024, bytes.Length - headEnd);
        for (var offset = headEnd; offset < bytes.Length; offset += piece.Length)
        {
            Assert.True(bytes.AsSpan(offset, piece.Length).SequenceEqual(piece), $"the body differs at {offset - headEnd}");
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Request_bodies_of_many_blocks_arrive_whole_with_a_length_or_chunked(bool ownSockets)
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets);
        using var socket = await server.ConnectAsync();
        var body = RandomNumberGenerator.GetBytes(1024 * 1024 + 17);
        var expected = $"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}";

        // Two requests on one connection: one with a length, then one chunked in uneven pieces.
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes($"POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n"));
        request.Write(body);
        request.Write(Encoding.ASCII.GetBytes("POST /hash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
        for (int offset = 0, size = 1; offset < body.Length; offset += size, size = size * 3 % 70_001 + 1)
        {
            var length = Math.Min(size, body.Length - offset);
            request.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            request.Write(body, offset, length);
            request.Write("\r\n"u8);
        }

        request.Write("0\r\n\r\n"u8);
        var sending = socket.SendAsync(request.ToArray());
        var responses = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(socket, TimeSpan.FromSeconds(30)));
        await sending;

        Assert.Equal(2, responses.Split("HTTP/1.1 200").Length - 1);
        Assert.Equal(2, responses.Split(expected).Length - 1);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Pipelined_requests_that_take_time_are_answered_in_order_on_one_connection(bool ownSockets)
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets);
        using var socket = await server.ConnectAsync();

        await TcpHttpServer.SendAsync(socket, string.Concat(Enumerable.Repeat("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 3))
            + "GET /big/64 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var responses = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(socket));

        Assert.Equal(4, responses.Split("HTTP/1.1 200").Length - 1);
        Assert.Equal(3, responses.Split("done").Length - 1);
        Assert.True(responses.LastIndexOf("done", StringComparison.Ordinal) < responses.LastIndexOf("HTTP/1.1 200", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Stopping_the_server_closes_an_idle_keep_alive_connection(bool ownSockets)
    {
        var server = await TcpHttpServer.StartAsync(ownSockets);
        using var socket = await server.ConnectAsync();
        await TcpHttpServer.SendAsync(socket, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        var buffer = new byte[4096];
        var response = "";
        while (!response.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
        {
            // The head and the chunked body may come in separate segments.
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None);
            Assert.NotEqual(0, count);
            response += Encoding.ASCII.GetString(buffer, 0, count);
        }

        Assert.StartsWith("HTTP/1.1 200", response);

        var stopping = server.StopAsync();
        var rest = await TcpHttpServer.ReadToEndAsync(socket);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();

        Assert.Empty(rest);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_that_resets_during_a_large_response_leaves_the_server_serving(bool ownSockets)
    {
        await using var server = await TcpHttpServer.StartAsync(ownSockets);
        using (var socket = await server.ConnectAsync())
        {
            await TcpHttpServer.SendAsync(socket, "GET /big/65536 HTTP/1.1\r\nHost: x\r\n\r\n");
            var buffer = new byte[65536];
            Assert.True(await socket.ReceiveAsync(buffer, SocketFlags.None) > 0);

            // Linger 0: the close sends a reset while the server is still sending (ECONNRESET/EPIPE there).
            socket.LingerState = new LingerOption(true, 0);
        }

        using var next = await server.ConnectAsync();
        await TcpHttpServer.SendAsync(next, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(next));

        Assert.StartsWith("HTTP/1.1 200", response);
    }

    [Fact]
    public async Task Https_runs_above_the_own_transport_with_bodies_and_responses_of_many_blocks()
    {
        using var key = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var server = await TcpHttpServer.StartAsync(ownSockets: true, certificate);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var client = new HttpClient(handler) { BaseAddress = server.Address };
        var body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);

        var posted = await client.PostAsync("/hash", new ByteArrayContent(body));
        var big = await client.GetByteArrayAsync("/big/2048");

        Assert.Equal("https", server.Address.Scheme);
        Assert.Equal(typeof(Chat.Channels.Internal.Transport.Tcp.TcpConnection), server.LastConnectionType);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await posted.Content.ReadAsStringAsync());
        Assert.Equal(2048 * 1024, big.Length);
        Assert.True(big.AsSpan(16 * 1024, 16 * 1024).SequenceEqual(TcpHttpServer.Pattern(16 * 1024)));
    }

    [Fact]
    public async Task Secure_websockets_run_above_the_own_transport()
    {
        using var key = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var server = await KestrelSocketServer.StartAsync(options => options.MaxFrameBytes = 256 * 1024, certificate: certificate);
        using var socket = await server.ConnectAsync(configure: options => options.RemoteCertificateValidationCallback = (_, _, _, _) => true);
        await socket.SendTextAsync("""["1","1","echo:tls","phx_join",{}]""");
        await socket.ReceiveTextAsync();
        var pad = new string('t', 200_000);

        // Behind TLS the socket is served on the upgraded stream (no takeover): both ways, many blocks.
        await socket.SendTextAsync($$"""["1","2","echo:tls","echo",{"pad":"{{pad}}"}]""");
        var reply = System.Text.Json.JsonDocument.Parse(await socket.ReceiveTextAsync()).RootElement;

        Assert.Equal("wss", server.SocketUri().Scheme);
        Assert.Equal(typeof(Chat.Channels.Internal.Transport.Tcp.TcpConnection), server.LastConnectionType);
        Assert.Equal(pad, reply[4].GetProperty("response").GetProperty("pad").GetString());
    }
}
