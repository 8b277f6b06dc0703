using Chat.Channels.Presence;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Tests;

/// <summary>
/// In-process nodes: hosts in one process that share one <see cref="InProcessPubSub"/> and one
/// <see cref="InProcessPresence"/>, which is what a cluster of one process is.
/// </summary>
public sealed class InProcessCluster : Cluster
{
    private readonly InProcessPubSub _pubSub = new();
    private InProcessPresence? _presence;

    /// <summary>Made with the first node's options: one tracker for the cluster has one set of them.</summary>
    protected override void Configure(IServiceCollection services, Action<ChannelsOptions>? options)
    {
        if (_presence is null)
        {
            var shared = new ChannelsOptions();
            options?.Invoke(shared);
            _presence = new InProcessPresence(_pubSub, Options.Create(shared), NullLogger<InProcessPresence>.Instance);
        }

        services.AddSingleton<IPubSub>(_pubSub);
        services.AddSingleton<IPresence>(_presence);
    }
}

public sealed class InProcessPubSubSpecification : PubSubSpecification
{
    protected override Cluster CreateCluster() => new InProcessCluster();
}

public sealed class InProcessPresenceSpecification : PresenceSpecification
{
    protected override Cluster CreateCluster() => new InProcessCluster();
}
