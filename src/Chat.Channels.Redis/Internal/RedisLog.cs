using Microsoft.Extensions.Logging;

namespace Chat.Channels.Redis.Internal;

/// <summary>Every log line of the Redis backplane, source-generated.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1, LogLevel.Warning, "Redis {Connection} connection lost ({FailureType}); delivering this node's broadcasts locally until it returns.")]
    public static partial void ConnectionLost(ILogger logger, Exception? exception, string connection, string failureType);

    [LoggerMessage(2, LogLevel.Information, "Redis {Connection} connection restored; {Topics} topics resubscribed and their channels told to rejoin.")]
    public static partial void ConnectionRestored(ILogger logger, string connection, int topics);

    [LoggerMessage(3, LogLevel.Warning, "Subscribing to \"{Topic}\" on Redis failed; retrying when the connection returns.")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(4, LogLevel.Warning, "Publishing to \"{Topic}\" on Redis failed; delivered on this node only.")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(5, LogLevel.Error, "A message on \"{Topic}\" from Redis could not be read; dropped.")]
    public static partial void UnreadableMessage(ILogger logger, Exception exception, string topic);

    [LoggerMessage(6, LogLevel.Warning, "Broadcasts on \"{Topic}\" may have been missed here; its channels rejoin to catch up.")]
    public static partial void TopicInterrupted(ILogger logger, string topic);

    [LoggerMessage(7, LogLevel.Debug, "Unsubscribing from \"{Topic}\" on Redis failed.")]
    public static partial void UnsubscribeFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(8, LogLevel.Warning, "Node {Node} missed its heartbeats; removed its {Count} presences.")]
    public static partial void NodeSwept(ILogger logger, string node, long count);

    [LoggerMessage(9, LogLevel.Warning, "This node was taken for dead by the others (a pause longer than the node timeout?); tracking its presences again.")]
    public static partial void NodeRevived(ILogger logger);

    [LoggerMessage(10, LogLevel.Warning, "Presence upkeep on Redis failed; trying again.")]
    public static partial void PresenceUpkeepFailed(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "A presence change on \"{Topic}\" did not reach Redis; it is sent again when the connection returns.")]
    public static partial void PresenceWriteFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(12, LogLevel.Warning, "A socket count did not reach Redis; this node keeps the per-user socket limit on its own sockets until it writes its counts again.")]
    public static partial void SocketCountFailed(ILogger logger, Exception exception);
}
