using Chat.Channels.Internal.Transport;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Chat.Channels;

/// <summary>Lets sockets take their connections over from Kestrel's HTTP layer.</summary>
public static class ChannelsListenOptionsExtensions
{
    /// <summary>
    /// Installs the connection middleware that lets a socket, once upgraded, own its connection
    /// below HTTP: the HTTP/1.1 request and its objects are then freed instead of living as long
    /// as the socket, which is most of what an idle socket costs. Without it sockets work the
    /// same, served on the upgraded stream. Add it after <c>UseHttps</c> when Kestrel terminates
    /// TLS on the listener; on an HTTPS listener whose TLS Kestrel adds later (an <c>https://</c>
    /// URL), sockets fall back to the upgraded stream.
    /// </summary>
    /// <example><code>builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.UseChannelsConnections()));</code></example>
    public static ListenOptions UseChannelsConnections(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Use(ConnectionHandoff.Middleware);
        return listenOptions;
    }
}
