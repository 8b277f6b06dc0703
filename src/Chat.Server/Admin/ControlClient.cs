using System.Net.Sockets;
using System.Text.Json;

namespace Chat.Server.Admin;

/// <summary>Asks the node running on this machine, through its control socket.</summary>
internal static class ControlClient
{
    /// <summary>The node's answer, or null when no node serves the control socket at <paramref name="path"/>.</summary>
    public static async Task<ControlResponse?> AskAsync(string path, ControlRequest request, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return null; // a file left behind by a node that is gone
        }

        await using var stream = new NetworkStream(socket);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, ControlJsonContext.Default.ControlRequest);
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The node closed the control socket without answering.");
        return JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlResponse);
    }
}
