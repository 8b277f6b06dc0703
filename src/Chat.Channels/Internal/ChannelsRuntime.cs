using System.Text.Json;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Internal;

/// <summary>What every socket and channel of the server shares: options, pubsub, services, logging.</summary>
internal sealed class ChannelsRuntime(
    IOptions<ChannelsOptions> options,
    IPubSub pubSub,
    IServiceProvider services,
    ILoggerFactory loggerFactory)
{
    public ChannelsOptions Options { get; } = options.Value;

    public IPubSub PubSub { get; } = pubSub;

    public IServiceProvider Services { get; } = services;

    /// <summary>Makes the scope each joined channel is created in and that ends with it.</summary>
    public IServiceScopeFactory Scopes { get; } = services.GetRequiredService<IServiceScopeFactory>();

    /// <summary>Makes each joined channel, in a scope of its own when it needs one.</summary>
    public ChannelActivator Channels { get; } = new(services.GetService<ServiceRegistrations>());

    public ILogger Logger { get; } = loggerFactory.CreateLogger("Chat.Channels");

    /// <summary>The host's clock when it registers one (tests do), else the system's.</summary>
    public TimeProvider Clock { get; } = ClockOf(services);

    /// <summary>Closes each socket when its credentials expire: one tick for the server, not a timer per socket.</summary>
    public CredentialExpiries Expiries { get; } = new(ClockOf(services));

    public JsonSerializerOptions Json => Options.JsonSerializerOptions;

    public Payload Encode(object? value) => Payload.From(value, Json);

    private long _joinedChannels;

    /// <summary>Channels joined on this node now; counted on join and exit, never per message.</summary>
    public long JoinedChannels => Interlocked.Read(ref _joinedChannels);

    public void ChannelJoined() => Interlocked.Increment(ref _joinedChannels);

    public void ChannelExited() => Interlocked.Decrement(ref _joinedChannels);

    private static TimeProvider ClockOf(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;
}
