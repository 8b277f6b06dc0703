using System.Net.WebSockets;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Internal;

/// <summary>Where a <see cref="SocketConnection"/> writes: a WebSocket, or the test harness.</summary>
internal interface ISocketTransport
{
    /// <summary>
    /// Queues a frame. Never blocks: a transport whose queue is full closes itself as a slow
    /// consumer, and frames sent after a close are dropped.
    /// </summary>
    void Send(OutboundFrame frame);

    /// <summary>Closes the connection with a close code; safe to call more than once, from any thread.</summary>
    void Close(WebSocketCloseStatus status, string description);
}
