namespace Chat.Channels.PubSub;

/// <summary>
/// Topic-based publish/subscribe between channels, on one node or across many. The
/// in-process implementation is the default; a backplane such as Redis replaces it with
/// one registration call, and nothing else in the application changes.
/// </summary>
public interface IPubSub
{
    /// <summary>
    /// Subscribes a local subscriber to a topic. When the returned task completes, every
    /// broadcast published afterwards, on any node, reaches the subscriber. Dispose the
    /// result to unsubscribe.
    /// </summary>
    ValueTask<IDisposable> SubscribeAsync(string topic, IBroadcastSubscriber subscriber, CancellationToken cancellationToken = default);

    /// <summary>Delivers a broadcast to every subscriber of its topic, on every node, except <see cref="Broadcast.Except"/>.</summary>
    ValueTask BroadcastAsync(Broadcast broadcast, CancellationToken cancellationToken = default);
}
