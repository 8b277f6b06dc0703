namespace Chat.Channels.PubSub;

/// <summary>The default <see cref="IPubSub"/>: every subscriber lives in this process.</summary>
public sealed class InProcessPubSub : IPubSub
{
    private readonly LocalSubscriptions _subscriptions = new();

    /// <summary>The subscribers, for tests that interrupt a topic.</summary>
    internal LocalSubscriptions Subscriptions => _subscriptions;

    /// <inheritdoc />
    public ValueTask<IDisposable> SubscribeAsync(string topic, IBroadcastSubscriber subscriber, CancellationToken cancellationToken = default)
    {
        _subscriptions.Add(topic, subscriber);
        return ValueTask.FromResult<IDisposable>(new Subscription(_subscriptions, topic, subscriber));
    }

    /// <summary>How many subscribers a topic has in this process.</summary>
    internal int SubscriberCount(string topic) => _subscriptions.Count(topic);

    /// <inheritdoc />
    public ValueTask BroadcastAsync(Broadcast broadcast, CancellationToken cancellationToken = default)
    {
        _subscriptions.Deliver(broadcast);
        return ValueTask.CompletedTask;
    }

    private sealed class Subscription(LocalSubscriptions subscriptions, string topic, IBroadcastSubscriber subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                subscriptions.Remove(topic, subscriber);
            }
        }
    }
}
