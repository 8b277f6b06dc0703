using Chat.Channels.Internal;
using Chat.Channels.Internal.Transport;
using Chat.Channels.Presence;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.Channels;

/// <summary>Registers the channel layer.</summary>
public static class ChannelsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the channel layer with the in-process pubsub and presence (<see cref="IPresence"/>).
    /// Call <c>MapSocket</c> on the endpoints to serve a socket handler.
    /// </summary>
    public static ChannelsBuilder AddChannels(this IServiceCollection services, Action<ChannelsOptions>? configure = null)
    {
        var options = services.AddOptions<ChannelsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<IPubSub, InProcessPubSub>();
        services.TryAddSingleton<IPresence, InProcessPresence>();
        services.TryAddSingleton<ChannelsRuntime>();
        // Read at the first join, once the container is built: which services are singletons.
        services.TryAddSingleton(new ServiceRegistrations(services));
        services.TryAddSingleton<SocketRegistry>();
        services.TryAddSingleton<SocketQuotas>();
        services.TryAddSingleton<Broadcaster>();
        services.TryAddSingleton(provider => new ChannelsStatus(provider.GetRequiredService<SocketRegistry>(), provider.GetRequiredService<ChannelsRuntime>()));
        services.AddHostedService<SocketSupervisor>();
        services.TryAddSingleton<Internal.Transport.LongPoll.LongPollSessions>();
        services.AddHostedService<Internal.Transport.LongPoll.LongPollReaper>();
        return new ChannelsBuilder(services);
    }
}
