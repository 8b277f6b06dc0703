using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// Nodes that serve one set of topics: what a specification runs against. In-process nodes
/// share one pubsub and one presence tracker; Redis nodes share a Redis. Each node is a
/// <see cref="ChannelTestHost"/> with its own services, sockets and channels.
/// </summary>
public abstract class Cluster : IAsyncDisposable
{
    private readonly List<ChannelTestHost> _nodes = [];

    /// <summary>Starts a node with the test channels and the given options.</summary>
    public ChannelTestHost AddNode(Action<ChannelsOptions>? configure = null)
    {
        var node = ChannelTestHost.Create(services =>
        {
            services.AddSingleton<JoinedChannels>();
            services.AddSingleton<TerminateLog>();
            Configure(services, configure);
        }, configure);
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        return node;
    }

    /// <summary>Makes the node's services share this cluster's backplane; <paramref name="options"/> are the node's.</summary>
    protected abstract void Configure(IServiceCollection services, Action<ChannelsOptions>? options);

    /// <summary>Stops a node the way a process exits: its sockets close, its channels end.</summary>
    public async Task StopNodeAsync(ChannelTestHost node)
    {
        lock (_nodes)
        {
            _nodes.Remove(node);
        }

        await node.DisposeAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        ChannelTestHost[] nodes;
        lock (_nodes)
        {
            nodes = [.. _nodes];
            _nodes.Clear();
        }

        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
