using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Channels.Tests;

/// <summary>
/// A Kestrel server with a few plain HTTP endpoints, accepting through the channels' own TCP
/// transport or Kestrel's: what a transport must get right for HTTP, side by side with the
/// transport it replaces.
/// </summary>
public sealed class TcpHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Func<Type?> _lastConnectionType;

    private TcpHttpServer(WebApplication app, Uri address, Func<Type?> lastConnectionType)
    {
        _app = app;
        Address = address;
        _lastConnectionType = lastConnectionType;
    }

    /// <summary>The type of the transport's connection Kestrel accepted last: whose transport it was.</summary>
    public Type? LastConnectionType => _lastConnectionType();

    public Uri Address { get; }

    /// <summary>Completes when a request to <c>/wait</c> saw its <see cref="HttpContext.RequestAborted"/> fire.</summary>
    public TaskCompletionSource RequestAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a request to <c>/wait</c> started waiting.</summary>
    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="ownSockets">Whether Kestrel accepts through the channels' own TCP transport or its own.</param>
    /// <param name="certificate">Serves HTTPS with it (Kestrel's TLS runs above the transport).</param>
    /// <param name="port">The port to listen on; 0 for any free one.</param>
    public static async Task<TcpHttpServer> StartAsync(bool ownSockets, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}");
        Type? connectionType = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Below TLS, if any: the transport's own connection.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
            {
                connectionType = connection.GetType();
                return next(connection);
            }));
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });

        builder.Logging.SetMinimumLevel(LogLevel.Critical);
        builder.Services.AddChannelsTransport(transport => transport.OwnSockets = ownSockets);
        var app = builder.Build();
        TcpHttpServer? server = null;

        // Answers after a moment, so the client's FIN arrives while the request is being handled.
        app.MapGet("/slow", async () =>
        {
            await Task.Delay(300);
            return "done";
        });

        // A response of `kib` KiB of a known pattern, written in pieces of 16 KiB.
        app.MapGet("/big/{kib:int}", async (int kib, HttpContext context) =>
        {
            context.Response.ContentLength = kib * 1024L;
            var piece = Pattern(16 * 1024);
            for (var left = kib * 1024; left > 0; left -= piece.Length)
            {
                await context.Response.Body.WriteAsync(piece.AsMemory(0, Math.Min(left, piece.Length)));
            }
        });

        // The SHA-256 of the request's body and its length.
        app.MapPost("/hash", async (HttpContext context) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[7919];
            long length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }

            return $"{length}:{Convert.ToHexString(hash.GetHashAndReset())}";
        });

        // Waits until the request is aborted (the client went away), as a long poll does.
        app.MapGet("/wait", async (HttpContext context) =>
        {
            server!.Waiting.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                server.RequestAborted.TrySetResult();
            }
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new TcpHttpServer(app, new Uri(address), () => connectionType);
        return server;
    }

    /// <summary>Bytes 0..250, repeated: a body whose every byte is checked.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Address.Host, Address.Port);
        return socket;
    }

    public static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads until the server closes the connection (or the timeout).</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int count;
            try
            {
                count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                count = 0;
            }

            if (count == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
