using StackExchange.Redis;

namespace Chat.Channels.Redis.Internal;

/// <summary>Every key and channel name the backplane uses, all under the configured prefix.</summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>The channel that carries a topic's broadcasts and presence changes.</summary>
    public RedisChannel Topic(string topic) => RedisChannel.Literal(Prefix + "topic:" + topic);

    /// <summary>A topic's sequence: the last sequenced broadcast published, and those waiting for their predecessor.</summary>
    public RedisKey Sequence(string topic) => Prefix + "seq:" + topic;

    /// <summary>A topic's presences: phx_ref → entry, and the counter that orders them.</summary>
    public RedisKey Presence(string topic) => Prefix + "presence:" + topic;

    /// <summary>One node's presences: phx_ref → topic, so that whoever finds the node dead can remove them.</summary>
    public RedisKey Node(string nodeId) => Prefix + "node:" + nodeId;

    /// <summary>One node's open sockets: socket id → how many this node holds (<see cref="RedisSocketCounts"/>).</summary>
    public RedisKey Sockets(string nodeId) => Prefix + "sockets:" + nodeId;

    /// <summary>Every live node, scored by its last heartbeat (milliseconds, Redis's clock).</summary>
    public RedisKey Nodes => Prefix + "nodes";

    /// <summary>A rate limiter's bucket.</summary>
    public RedisKey Rate(string key) => Prefix + "rate:" + key;
}
