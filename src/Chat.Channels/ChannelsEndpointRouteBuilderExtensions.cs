using Chat.Channels.Internal;
using Chat.Channels.Internal.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels;

/// <summary>Serves a socket handler over WebSocket.</summary>
public static class ChannelsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves <typeparamref name="TSocket"/> at <c>{path}/websocket</c>, the address phoenix.js
    /// derives from <c>new Socket(path)</c>. The WebSocket handshake and framing are the channel
    /// layer's own (no <c>UseWebSockets()</c> needed); see <see cref="ChannelsListenOptionsExtensions.UseChannelsConnections"/>
    /// for letting sockets shed their HTTP request once upgraded.
    /// </summary>
    public static IEndpointConventionBuilder MapSocket<TSocket>(this IEndpointRouteBuilder endpoints, string path)
        where TSocket : SocketHandler
    {
        var services = endpoints.ServiceProvider;
        var handler = ActivatorUtilities.GetServiceOrCreateInstance<TSocket>(services);
        var endpoint = new WebSocketEndpoint(
            handler,
            services.GetRequiredService<ChannelsRuntime>(),
            services.GetRequiredService<SocketRegistry>());
        return endpoints.Map(path.TrimEnd('/') + "/websocket", (RequestDelegate)endpoint.HandleAsync)
            .WithDisplayName($"Phoenix socket {typeof(TSocket).Name}");
    }
}
