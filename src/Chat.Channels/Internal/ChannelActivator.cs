using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Internal;

/// <summary>
/// Makes channel instances, each in a DI scope of its own when its constructor asks for
/// something a scope would own, and from the root provider when it asks for singletons only:
/// an idle channel then keeps no empty scope (the scope and its dictionary of resolved
/// services, 128 bytes of every joined channel, for nothing).
/// </summary>
/// <remarks>
/// The container cannot say what lifetime a service has, so this reads the registrations
/// themselves (<see cref="ServiceRegistrations"/>), once per channel type. Whenever it cannot
/// be sure (a constructor that takes the provider itself, a keyed or unregistered service, a
/// type with several constructors) the channel gets its scope, as every channel did before.
/// </remarks>
internal sealed class ChannelActivator(ServiceRegistrations? registrations)
{
    private readonly ConcurrentDictionary<Type, Recipe> _recipes = new();

    /// <summary>Makes an instance of <paramref name="channelType"/>; <paramref name="scope"/> is the scope it was made in, if it needed one.</summary>
    public Channel Create(Type channelType, IServiceProvider root, IServiceScopeFactory scopes, out IServiceScope? scope)
    {
        var recipe = _recipes.GetOrAdd(channelType, static (type, services) => new Recipe(
            // A factory made once picks its constructor without the container; with several to
            // choose from, the container's choice at each join is kept, as it always was.
            type.GetConstructors().Length == 1 ? ActivatorUtilities.CreateFactory(type, Type.EmptyTypes) : null,
            NeedsScope(type, services)), registrations);
        scope = recipe.NeedsScope ? scopes.CreateScope() : null;
        var services = scope?.ServiceProvider ?? root;
        return (Channel)(recipe.Factory is { } factory ? factory(services, null) : ActivatorUtilities.CreateInstance(services, channelType));
    }

    /// <summary>False only when the one constructor takes nothing but services registered as singletons.</summary>
    internal static bool NeedsScope(Type channelType, ServiceRegistrations? services)
    {
        var constructors = channelType.GetConstructors();
        if (services is null || constructors.Length != 1)
        {
            return true;
        }

        foreach (var parameter in constructors[0].GetParameters())
        {
            if (parameter.GetCustomAttribute<FromKeyedServicesAttribute>() is not null
                || services.LifetimeOf(parameter.ParameterType) != ServiceLifetime.Singleton)
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Recipe(ObjectFactory? Factory, bool NeedsScope);
}
