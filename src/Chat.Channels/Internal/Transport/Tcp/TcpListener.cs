using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>A bound TCP socket that Kestrel accepts connections from, each one a <see cref="TcpConnection"/>.</summary>
internal sealed class TcpListener : IConnectionListener
{
    /// <summary>Kestrel's own transport listens with this backlog.</summary>
    private const int Backlog = 512;

    /// <summary>How long an accept that failed for want of resources waits before the next.</summary>
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly MemoryPool<byte> _pool;
    private volatile bool _unbound;

    private TcpListener(Socket socket, MemoryPool<byte> pool)
    {
        _socket = socket;
        _pool = pool;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public static TcpListener Bind(IPEndPoint endPoint, MemoryPool<byte> pool)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                // [::] serves IPv4 clients too, as Kestrel's transport does.
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(Backlog);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpListener(socket, pool);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (_unbound && ex is SocketException or ObjectDisposedException)
            {
                // Unbound: Kestrel stops accepting.
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // The client gave up before it was accepted; the next one may not.
                continue;
            }
            catch (SocketException)
            {
                // Out of file descriptors or memory, most likely: an exception from here would
                // end Kestrel's accept loop for good, so wait a moment (not spinning on the
                // error) and accept again once something was freed.
                await Task.Delay(AcceptRetryDelay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                // Frames are written whole and flushed once per batch: Nagle would only delay them.
                accepted.NoDelay = true;
                // Sends and receives try the kernel first and wait only when it has nothing to give or no room.
                accepted.Blocking = false;
            }
            catch (SocketException)
            {
                // Reset between the accept and now.
                accepted.Dispose();
                continue;
            }

            return new TcpConnection(accepted, _pool);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound = true;
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _unbound = true;
        _socket.Dispose();
        // The pool is not disposed: sockets that left the server (ConnectionHandoff) may
        // outlive the listener, and they still rent from it until they close.
        return ValueTask.CompletedTask;
    }
}
