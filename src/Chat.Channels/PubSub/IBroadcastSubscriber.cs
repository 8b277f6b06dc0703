namespace Chat.Channels.PubSub;

/// <summary>Something on this node that receives a topic's broadcasts: a joined channel, a socket, a test.</summary>
public interface IBroadcastSubscriber
{
    /// <summary>
    /// Receives one broadcast. Called on the publisher's thread, so it must not block:
    /// queue the work and return.
    /// </summary>
    void Deliver(Broadcast broadcast);
}
