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

    /// <summary>
    /// Queues a reply: a frame its client is waiting for (an acknowledgement, a join's answer, a
    /// heartbeat's). A transport that paces its writes under load sends it without waiting for
    /// its turn; the others treat it like any frame.
    /// </summary>
    void SendReply(OutboundFrame frame) => Send(frame);

    /// <summary>Closes the connection with a close code; safe to call more than once, from any thread.</summary>
    void Close(WebSocketCloseStatus status, string description);
}
