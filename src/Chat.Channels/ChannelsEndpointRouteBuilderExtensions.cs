using Chat.Channels.Internal;
using Chat.Channels.Internal.Transport;
using Chat.Channels.Internal.Transport.LongPoll;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels;

/// <summary>Serves a socket handler over WebSocket and LongPoll.</summary>
public static class ChannelsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves <typeparamref name="TSocket"/> at <c>{path}/websocket</c>, the address phoenix.js
    /// derives from <c>new Socket(path)</c>. The WebSocket handshake and framing are the channel
    /// layer's own (no <c>UseWebSockets()</c> needed); see <see cref="ChannelsListenOptionsExtensions.UseChannelsConnections"/>
    /// for letting sockets shed their HTTP request once upgraded. The same socket is served at
    /// <c>{path}/longpoll</c> for clients that cannot open a WebSocket (phoenix.js's <c>LongPoll</c>
    /// transport and its <c>longPollFallbackMs</c>): the same channels, events and replies.
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
        var longPoll = new LongPollEndpoint(
            handler,
            services.GetRequiredService<ChannelsRuntime>(),
            services.GetRequiredService<SocketRegistry>(),
            services.GetRequiredService<LongPollSessions>());
        var socket = endpoints.MapGroup(path.TrimEnd('/'));
        socket.Map("/websocket", (RequestDelegate)endpoint.HandleAsync).WithDisplayName($"Phoenix socket {typeof(TSocket).Name} (WebSocket)");
        socket.MapMethods("/longpoll", ["GET", "POST", "OPTIONS"], (RequestDelegate)longPoll.HandleAsync)
            .WithDisplayName($"Phoenix socket {typeof(TSocket).Name} (LongPoll)");
        return socket;
    }
}
