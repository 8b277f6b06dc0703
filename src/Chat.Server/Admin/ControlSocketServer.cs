using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Configuration;
using Chat.Server.Sockets;
using Microsoft.Extensions.Options;

namespace Chat.Server.Admin;

/// <summary>
/// Lets the admin commands reach the node running on this machine (<c>disconnect-user</c>,
/// <c>users delete</c> and <c>users reset-password</c>, which sign the user out, and the live
/// half of <c>stats</c>): a command in another process has its own in-process pubsub,
/// which reaches no socket. What the node is asked to do goes through its pubsub, so with
/// several nodes sharing Redis it reaches every node.
/// </summary>
internal sealed partial class ControlSocketServer(
    IOptions<ChatServerOptions> server,
    Broadcaster broadcaster,
    TokenRevocations revocations,
    ChannelsStatus channels,
    ILogger<ControlSocketServer> logger) : BackgroundService
{
    private const int MaxRequestBytes = 4096;

    private readonly DateTime _startedAt = DateTime.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = ControlSocket.PathFor(server.Value.DataDir);
        if (!ControlSocket.FitsInSocketAddress(path))
        {
            LogPathTooLong(logger, path);
            return;
        }

        if (await IsServedAsync(path).ConfigureAwait(false))
        {
            LogInUse(logger, path);
            return;
        }

        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A file left by a node that did not stop cleanly: nobody answers on it.
            File.Delete(path);
            Chat.Persistence.OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(path)!);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            listener.Listen(16);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            LogCannotListen(logger, ex, path);
            return;
        }

        LogListening(logger, path);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<bool> IsServedAsync(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stoppingToken)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await using var stream = new NetworkStream(client);
        ControlResponse response;
        try
        {
            var line = await ReadLineAsync(stream, timeout.Token).ConfigureAwait(false);
            var request = line is null ? null : JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
            response = request is null ? new ControlResponse(false, "the request must be one JSON object on one line") : await HandleAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            response = new ControlResponse(false, "the request is not valid JSON");
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return;
        }

        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
            await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
            await stream.WriteAsync("\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
        }
    }

    private async Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        switch (request.Command)
        {
            case ControlRequest.SignOutUser when request is { UserId: { } userId, RevokedBefore: { } before } && userId > 0:
                // Revoked here too, before the disconnect: this node, and every node its pubsub
                // reaches, refuses the token the clients will reconnect with.
                await revocations.RevokeAsync(userId, before, cancellationToken).ConfigureAwait(false);
                await broadcaster.DisconnectAsync(UserSocket.SocketId(userId), cancellationToken).ConfigureAwait(false);
                LogSignedOut(logger, userId);
                return new ControlResponse(true);
            case ControlRequest.SignOutUser:
                return new ControlResponse(false, "user_id must be a positive integer, and revoked_before a time");
            case ControlRequest.Stats:
                using (var process = Process.GetCurrentProcess())
                {
                    return new ControlResponse(true, Node: new NodeStatus(
                        ServerVersion.Current, _startedAt, Environment.ProcessId, process.WorkingSet64, channels.ConnectedSockets, channels.JoinedChannels));
                }

            default:
                return new ControlResponse(false, $"unknown command \"{request.Command}\"");
        }
    }

    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', length, read);
            length += read;
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }

        return length == 0 || length == buffer.Length ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    [LoggerMessage(1, LogLevel.Information, "Admin commands on this machine reach this node through {Path}.")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Warning, "Another running node already serves the control socket {Path}: this node's data directory is shared, and admin commands reach the other one.")]
    private static partial void LogInUse(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Warning, "The control socket path {Path} is longer than a Unix socket address allows; admin commands cannot reach this node. Use a shorter Chat:DataDir.")]
    private static partial void LogPathTooLong(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Warning, "Could not open the control socket {Path}; admin commands cannot reach this node.")]
    private static partial void LogCannotListen(ILogger logger, Exception exception, string path);

    [LoggerMessage(6, LogLevel.Information, "An admin command revoked every token of user {UserId} and disconnected every socket of theirs.")]
    private static partial void LogSignedOut(ILogger logger, long userId);
}
