using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Chat.Channels.Tests;

/// <summary>
/// The own transport's accept loop after an accept fails (EMFILE, ENOMEM, EINVAL...): the
/// server must not stop accepting for good, and must take the connections that waited once
/// the accept works again.
/// </summary>
/// <remarks>
/// Not by running the process out of file descriptors, as this test first did: a thread that
/// starts while none is free takes a .NET process down (its start opens files and a pipe;
/// strace showed EMFILE there, then SIGABRT and "Out of memory"), and the test host started
/// one in about 2 runs of 5. In production the connection cap keeps the server below its
/// limit (ConnectionLimit). Here the listening socket is shut down for reading, which makes
/// every accept fail with EINVAL until it listens again: the same branch of the accept loop,
/// in a process that keeps working.
/// </remarks>
public sealed class TcpAcceptExhaustionTests
{
    [Fact]
    public async Task The_server_accepts_again_once_accepting_works_again()
    {
        Assert.True(OperatingSystem.IsLinux(), "The test reads the listener's descriptor from /proc (Linux).");
        // A port of its own, not 0: a socket bound to port 0 gives its port back when it is shut
        // down, and would listen again on another.
        await using var server = await TcpHttpServer.StartAsync(ownSockets: true, port: FreePort());
        using var listener = FindListeningSocket(server.Address.Port);

        // Every accept now fails with EINVAL; a client connecting now is not answered.
        listener.Shutdown(SocketShutdown.Receive);
        await Task.Delay(200);
        using var refused = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await refused.ConnectAsync(server.Address.Host, server.Address.Port));

        // Listening again on the same bound socket: the loop, which kept retrying, takes the next client.
        listener.Listen(16);
        using var next = await server.ConnectAsync();
        await TcpHttpServer.SendAsync(next, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(next, TimeSpan.FromSeconds(15)));

        Assert.StartsWith("HTTP/1.1 200", response);
    }

    private static int FreePort()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>The server's listening socket, found among this process's descriptors; the handle stays the server's.</summary>
    private static Socket FindListeningSocket(int port)
    {
        foreach (var path in Directory.GetFiles("/proc/self/fd"))
        {
            if (new FileInfo(path).LinkTarget is not { } target || !target.StartsWith("socket:", StringComparison.Ordinal))
            {
                continue;
            }

            var socket = new Socket(new SafeSocketHandle(int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture), ownsHandle: false));
            if (socket.LocalEndPoint is IPEndPoint local && local.Port == port
                && (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0)
            {
                return socket;
            }

            socket.Dispose();
        }

        throw new InvalidOperationException($"no socket of this process listens on port {port}");
    }
}
