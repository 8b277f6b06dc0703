using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// Kestrel's transport for TCP listeners when <see cref="ChannelsTransportOptions.OwnSockets"/>
/// is on: Kestrel asks the factories registered last first, and this one declines when it is off
/// (or for a Unix socket or a named pipe), so Kestrel's own socket transport takes the listener.
/// </summary>
internal sealed class TcpListenerFactory(IOptions<ChannelsTransportOptions> options, IEnumerable<IMemoryPoolFactory<byte>> pools)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => options.Value.OwnSockets && endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The channels transport listens on TCP endpoints only, not {endpoint}.");
        }

        // One pool per listener, as Kestrel's transport makes; the host's factory decides what
        // kind (the chat server's can be emptied when it goes quiet).
        return ValueTask.FromResult<IConnectionListener>(TcpListener.Bind(ip, pools.LastOrDefault()?.Create() ?? System.Buffers.MemoryPool<byte>.Shared));
    }
}
