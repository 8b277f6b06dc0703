using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// Every open WebSocket session of this server, so that one sweeper can close idle sockets
/// (instead of a timer per socket) and shutdown can close them all with 1012.
/// </summary>
internal sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<WebSocketSession, byte> _sessions = new();
    private volatile bool _shuttingDown;
    private int _reserved;

    /// <summary>Sockets open or being opened.</summary>
    public int Count => Volatile.Read(ref _reserved);

    public bool IsShuttingDown => _shuttingDown;

    /// <summary>Claims a place for a socket about to open; false when <paramref name="limit"/> are already open.</summary>
    public bool TryReserve(int limit)
    {
        while (true)
        {
            var current = Volatile.Read(ref _reserved);
            if (current >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _reserved, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back a place claimed by <see cref="TryReserve"/> for a socket that never opened.</summary>
    public void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>Registers an open socket, in the place its <see cref="TryReserve"/> claimed.</summary>
    public void Add(WebSocketSession session) => _sessions.TryAdd(session, 0);

    /// <summary>Forgets a socket that has closed, and frees its place.</summary>
    public void Remove(WebSocketSession session)
    {
        if (_sessions.TryRemove(session, out _))
        {
            Release();
        }
    }

    /// <summary>Closes sockets that have sent nothing for longer than <paramref name="idleTimeout"/>.</summary>
    public int CloseIdle(TimeSpan idleTimeout)
    {
        var cutoff = Environment.TickCount64 - (long)idleTimeout.TotalMilliseconds;
        var closed = 0;
        foreach (var session in _sessions.Keys)
        {
            if (session.LastReceivedTicks < cutoff)
            {
                // Not 1000: a client that was merely asleep should reconnect.
                session.Close(WebSocketCloseStatus.EndpointUnavailable, "idle timeout");
                closed++;
            }
        }

        if (closed > 0)
        {
            ChannelsMetrics.IdleTimeouts.Add(closed);
        }

        return closed;
    }

    /// <summary>Closes every socket with 1012 (service restart), telling clients to come back.</summary>
    public void CloseAllForShutdown()
    {
        _shuttingDown = true;
        foreach (var session in _sessions.Keys)
        {
            session.Close((WebSocketCloseStatus)1012, "server restart");
        }
    }
}
