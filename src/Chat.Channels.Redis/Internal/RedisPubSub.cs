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
        backplane.Publish(broadcast);
        return ValueTask.CompletedTask;
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
