using Chat.Channels.Internal.Transport.Tcp;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels;

/// <summary>Registers the channels' own TCP transport below Kestrel.</summary>
public static class ChannelsTransportServiceCollectionExtensions
{
    /// <summary>
    /// Makes Kestrel accept its TCP connections through the channels' own transport (see
    /// <see cref="ChannelsTransportOptions"/>); Unix sockets and named pipes stay with Kestrel's.
    /// Call it after Kestrel is added (<c>WebApplication.CreateBuilder</c> adds it): Kestrel asks
    /// the transport registered last first.
    /// </summary>
    public static IServiceCollection AddChannelsTransport(this IServiceCollection services, Action<ChannelsTransportOptions>? configure = null)
    {
        var options = services.AddOptions<ChannelsTransportOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<IConnectionListenerFactory, TcpListenerFactory>();
        return services;
    }
}
