using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Channels.Tests;

/// <summary>A real Kestrel server on a loopback port, serving <see cref="TestSocketHandler"/> at <c>/socket</c>.</summary>
public sealed class KestrelSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Recorder _recorder;

    private KestrelSocketServer(WebApplication app, Uri address, Recorder recorder)
    {
        _app = app;
        _recorder = recorder;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="configure">Channel options.</param>
    /// <param name="takeOverConnections">
    /// Whether sockets take their connections over from the HTTP layer (the host's setting), or
    /// are served on the upgraded stream, as on a server without the connection middleware.
    /// </param>
    /// <param name="ownSockets">Whether Kestrel accepts through the channels' own TCP transport (the host's default) or its own socket transport.</param>
    /// <param name="certificate">Serves HTTPS (wss://) with it.</param>
    public static async Task<KestrelSocketServer> StartAsync(Action<ChannelsOptions>? configure = null, bool takeOverConnections = true, bool ownSockets = true,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(certificate is null ? "http://127.0.0.1:0" : "https://127.0.0.1:0");
        var recorder = new Recorder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            listen.Use(next => connection =>
            {
                recorder.LastConnectionType = connection.GetType();
                return next(connection);
            });
            if (takeOverConnections)
            {
                listen.UseChannelsConnections();
            }
        }));
        if (certificate is not null)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<TerminateLog>();
        builder.Services.AddChannels(configure);
        builder.Services.AddChannelsTransport(transport => transport.OwnSockets = ownSockets);
        var app = builder.Build();
        app.MapSocket<TestSocketHandler>("/socket");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelSocketServer(app, new Uri(address), recorder);
    }

    /// <summary>The type of the transport's connection that Kestrel handed the listener last: whose transport accepted it.</summary>
    public Type? LastConnectionType => _recorder.LastConnectionType;

    private sealed class Recorder
    {
        public volatile Type? LastConnectionType;
    }

    public Uri SocketUri(string query = "vsn=2.0.0&token=good") =>
        new($"{(Address.Scheme == "https" ? "wss" : "ws")}://{Address.Authority}/socket/websocket?{query}");

    public async Task<ClientWebSocket> ConnectAsync(string query = "vsn=2.0.0&token=good", Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(client.Options);
        await client.ConnectAsync(SocketUri(query), CancellationToken.None);
        return client;
    }

    /// <summary>The HTTP status the upgrade request got, for refused connects.</summary>
    public async Task<int> RefusalStatusAsync(string query, Action<ClientWebSocketOptions>? configure = null)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(client.Options);
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(SocketUri(query), CancellationToken.None));
        return (int)client.HttpStatusCode;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Small helpers for speaking the protocol by hand.</summary>
public static class RawSocket
{
    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static Task SendBinaryAsync(this WebSocket socket, byte[] bytes) =>
        socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads one whole message; a close frame comes back as its type with no data.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[2 * 1024 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancel.Token);
            length += result.Count;
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, buffer[..length]);
            }
        }
    }

    public static async Task<string> ReceiveTextAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        var (type, data) = await socket.ReceiveMessageAsync(timeout);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>Reads until the server's close frame and returns its code.</summary>
    public static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        while (true)
        {
            var (type, _) = await socket.ReceiveMessageAsync(timeout);
            if (type == WebSocketMessageType.Close)
            {
                return socket.CloseStatus;
            }
        }
    }
}
