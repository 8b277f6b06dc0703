using StackExchange.Redis;

namespace Chat.Channels.Redis;

/// <summary>
/// Settings of the Redis backplane. Every default is set here, in one place.
/// </summary>
public sealed class RedisChannelsOptions
{
    /// <summary>
    /// How to reach Redis: StackExchange.Redis's configuration, parsed from the connection
    /// string given to <see cref="RedisChannelsBuilderExtensions.AddRedis"/>. The backplane
    /// turns off <see cref="ConfigurationOptions.AbortOnConnectFail"/> (a node starts, and
    /// keeps serving its own sockets, while Redis is away) and fails commands fast instead of
    /// queueing them while disconnected.
    /// </summary>
    public ConfigurationOptions Configuration { get; set; } = new();

    /// <summary>
    /// Put before every key and channel name, so that several deployments (or test runs) can
    /// share one Redis without hearing each other.
    /// </summary>
    public string Prefix { get; set; } = "chat:";

    /// <summary>
    /// A node that has not renewed its heartbeat for this long is taken for dead: the other
    /// nodes remove its presences, and every member sees them leave. Heartbeats go out at a
    /// quarter of this; the check runs as often. So a node killed without a goodbye leaves
    /// everyone's presence within about 1.25 times this.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a sequenced broadcast (a room's new message) may wait in Redis for the one
    /// before it, when another node stored that one first but has not published it yet. After
    /// this it is published anyway, marked so that every node makes the topic's channels
    /// rejoin and catch up from storage: the one before it was lost with its node.
    /// </summary>
    public TimeSpan SequenceGapTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
