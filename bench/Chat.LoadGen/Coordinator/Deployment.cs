namespace Chat.LoadGen.Coordinator;

/// <summary>
/// What serves one measurement: one server, or several nodes of ours on one PostgreSQL
/// database and one Redis (docs/deployment.md), each with its own data directory, all sharing
/// the signing key. The load generator spreads its sockets over the nodes.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private Deployment(IReadOnlyList<PeerServer> nodes, RedisServer? redis)
    {
        Nodes = nodes;
        Redis = redis;
    }

    public IReadOnlyList<PeerServer> Nodes { get; }

    public RedisServer? Redis { get; }

    /// <summary>The first node: where rooms are created and where the fan-out's sender is.</summary>
    public PeerServer First => Nodes[0];

    public static Deployment Single(PeerServer server) => new([server], null);

    public static Deployment Cluster(IReadOnlyList<PeerServer> nodes, RedisServer redis) => new(nodes, redis);

    /// <summary>CPU seconds of every node and of Redis (PostgreSQL, when used, is not counted, as for one node).</summary>
    public double CpuSeconds() => Nodes.Sum(n => n.CpuSeconds()) + (Redis?.CpuSeconds() ?? 0);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}
