using Chat.Channels.Internal;
using Chat.Channels.Internal.Transport;

namespace Chat.Channels;

/// <summary>Live numbers of this node's channel layer, for status pages and admin tools.</summary>
public sealed class ChannelsStatus
{
    private readonly SocketRegistry _sockets;
    private readonly ChannelsRuntime _runtime;

    internal ChannelsStatus(SocketRegistry sockets, ChannelsRuntime runtime)
    {
        _sockets = sockets;
        _runtime = runtime;
    }

    /// <summary>Sockets open on this node.</summary>
    public int ConnectedSockets => _sockets.Count;

    /// <summary>Channels joined on this node, over all its sockets.</summary>
    public long JoinedChannels => _runtime.JoinedChannels;
}
