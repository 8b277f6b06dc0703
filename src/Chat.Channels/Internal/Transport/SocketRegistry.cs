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

    public int Count => _sessions.Count;

    public bool IsShuttingDown => _shuttingDown;

    public void Add(WebSocketSession session) => _sessions.TryAdd(session, 0);

    public void Remove(WebSocketSession session) => _sessions.TryRemove(session, out _);

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
