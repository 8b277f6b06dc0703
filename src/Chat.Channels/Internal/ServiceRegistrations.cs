using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Internal;

/// <summary>
/// The application's service registrations, kept by <see cref="ChannelsServiceCollectionExtensions.AddChannels"/>
/// so that <see cref="ChannelActivator"/> can tell a singleton from a scoped service, which the
/// built container does not say. Read only once the provider is built, when the collection no
/// longer changes.
/// </summary>
internal sealed class ServiceRegistrations(IServiceCollection services)
{
    /// <summary>
    /// The lifetime the container resolves <paramref name="serviceType"/> with: that of its last
    /// registration without a key, or of its open generic type's; null when it is not registered.
    /// </summary>
    public ServiceLifetime? LifetimeOf(Type serviceType) =>
        Last(serviceType) ?? (serviceType.IsConstructedGenericType ? Last(serviceType.GetGenericTypeDefinition()) : null);

    private ServiceLifetime? Last(Type serviceType)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i] is { IsKeyedService: false } descriptor && descriptor.ServiceType == serviceType)
            {
                return descriptor.Lifetime;
            }
        }

        return null;
    }
}
