using Chat.Channels.PubSub;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// <see cref="IPubSub"/> across nodes: subscribers live on this node, broadcasts travel through
/// Redis (see <see cref="RedisBackplane"/>).
/// </summary>
internal sealed class RedisPubSub(RedisBackplane backplane) : IPubSub
{
    public async ValueTask<IDisposable> SubscribeAsync(string topic, IBroadcastSubscriber subscriber, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(subscriber);
        var state = await backplane.AcquireAsync(topic, cancellationToken).ConfigureAwait(false);
        backplane.Local.Add(topic, subscriber);
        return new Subscription(backplane, state, subscriber);
    }

    public ValueTask BroadcastAsync(Broadcast broadcast, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broadcast);
        if (!backplane.Connected.IsCompleted)
        {
            // Only while the node starts: a broadcast must not be taken for one made while
            // Redis is away just because the first connection is still being made.
            return PublishOnceConnectedAsync(broadcast, cancellationToken);
        }

        backplane.Publish(broadcast);
        return ValueTask.CompletedTask;
    }

    private async ValueTask PublishOnceConnectedAsync(Broadcast broadcast, CancellationToken cancellationToken)
    {
        try
        {
            await backplane.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Could not connect at all: Publish delivers here only.
        }

        backplane.Publish(broadcast);
    }

    private sealed class Subscription(RedisBackplane backplane, RedisBackplane.TopicState state, IBroadcastSubscriber subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                backplane.Local.Remove(state.Topic, subscriber);
                backplane.Release(state);
            }
        }
    }
}
