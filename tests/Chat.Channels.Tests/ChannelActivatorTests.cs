using Chat.Channels.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Tests;

/// <summary>
/// A channel gets a DI scope when it may hold something a scope owns, and none when its
/// constructor takes singletons only (an empty scope would be 128 bytes of every idle channel).
/// </summary>
public sealed class ChannelActivatorTests
{
    private readonly ServiceCollection _services = new();

    public ChannelActivatorTests()
    {
        _services.AddOptions();
        _services.AddSingleton<LifetimeLog>();
        _services.AddScoped<ScopedProbe>();
        _services.AddTransient<TransientThing>();
        _services.AddKeyedSingleton<LifetimeLog>("keyed");
    }

    [Fact]
    public void A_channel_of_singletons_only_is_made_without_a_scope_and_gets_its_services()
    {
        using var provider = _services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var activator = new ChannelActivator(new ServiceRegistrations(_services));

        var channel = activator.Create(typeof(SingletonsChannel), provider, provider.GetRequiredService<IServiceScopeFactory>(), out var scope);

        Assert.Null(scope);
        Assert.Same(provider.GetRequiredService<LifetimeLog>(), ((SingletonsChannel)channel).Log);
    }

    [Fact]
    public void A_channel_with_a_scoped_service_gets_a_scope_of_its_own()
    {
        using var provider = _services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var activator = new ChannelActivator(new ServiceRegistrations(_services));
        var scopes = provider.GetRequiredService<IServiceScopeFactory>();

        var first = (ScopedChannel)activator.Create(typeof(ScopedChannel), provider, scopes, out var firstScope);
        var second = (ScopedChannel)activator.Create(typeof(ScopedChannel), provider, scopes, out var secondScope);

        Assert.NotNull(firstScope);
        Assert.NotNull(secondScope);
        Assert.NotSame(firstScope, secondScope);
        Assert.NotSame(first, second);
        firstScope.Dispose();
        Assert.Single(provider.GetRequiredService<LifetimeLog>().Disposed);
        secondScope.Dispose();
    }

    [Theory]
    [InlineData(typeof(ScopedChannel))]
    [InlineData(typeof(TransientChannel))]
    [InlineData(typeof(ProviderChannel))]
    [InlineData(typeof(KeyedChannel))]
    [InlineData(typeof(UnregisteredChannel))]
    [InlineData(typeof(TwoConstructorsChannel))]
    public void Whatever_a_scope_might_own_or_is_not_known_to_be_a_singleton_gets_a_scope(Type channelType) =>
        Assert.True(ChannelActivator.NeedsScope(channelType, new ServiceRegistrations(_services)));

    [Fact]
    public void Open_generic_singletons_such_as_options_count_as_singletons() =>
        Assert.False(ChannelActivator.NeedsScope(typeof(SingletonsChannel), new ServiceRegistrations(_services)));

    [Fact]
    public void A_service_registered_again_with_another_lifetime_is_judged_by_its_last_registration()
    {
        _services.AddScoped<LifetimeLog>();

        Assert.True(ChannelActivator.NeedsScope(typeof(SingletonsChannel), new ServiceRegistrations(_services)));
    }

    [Fact]
    public void A_channel_with_several_constructors_is_made_with_the_one_the_container_can_fill()
    {
        using var provider = _services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var activator = new ChannelActivator(new ServiceRegistrations(_services));

        var channel = (TwoConstructorsChannel)activator.Create(typeof(TwoConstructorsChannel), provider, provider.GetRequiredService<IServiceScopeFactory>(), out var scope);

        Assert.NotNull(scope);
        Assert.NotNull(channel.Log);
        scope.Dispose();
    }

    [Fact]
    public void Without_the_registrations_every_channel_gets_a_scope() =>
        Assert.True(ChannelActivator.NeedsScope(typeof(SingletonsChannel), null));

    public sealed class TransientThing;

    public sealed class SingletonsChannel(LifetimeLog log, IOptions<ChannelsOptions> options) : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public LifetimeLog Log { get; } = log;

        public ChannelsOptions Options { get; } = options.Value;
    }

    public sealed class TransientChannel(LifetimeLog log, TransientThing thing) : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public object[] Held { get; } = [log, thing];
    }

    public sealed class ProviderChannel(IServiceProvider services) : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public IServiceProvider Services { get; } = services;
    }

    public sealed class KeyedChannel([FromKeyedServices("keyed")] LifetimeLog log) : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public LifetimeLog Log { get; } = log;
    }

    public sealed class UnregisteredChannel(TimeProvider clock) : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public TimeProvider Clock { get; } = clock;
    }

    public sealed class TwoConstructorsChannel : Channel
    {
        public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) => ValueTask.FromResult(JoinResult.Ok());

        public TwoConstructorsChannel(LifetimeLog log) => Log = log;

        public TwoConstructorsChannel() => Log = null;

        public LifetimeLog? Log { get; }
    }
}
