using System.Collections.Concurrent;

namespace Chat.Channels.PubSub;

/// <summary>
/// The subscribers of each topic on this node, and the loop that hands them a broadcast.
/// Every <see cref="IPubSub"/> keeps one: it is where a broadcast ends up, whichever
/// way it travelled.
/// </summary>
/// <remarks>
/// A topic's subscribers are an immutable array replaced, under a lock, on every change;
/// delivering, which happens far more often than joining, reads them without one.
/// </remarks>
public sealed class LocalSubscriptions
{
    private readonly ConcurrentDictionary<string, IBroadcastSubscriber[]> _topics = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Adds a subscriber. Returns true when it is the topic's first on this node.</summary>
    public bool Add(string topic, IBroadcastSubscriber subscriber)
    {
        lock (_gate)
        {
            if (_topics.TryGetValue(topic, out var current))
            {
                _topics[topic] = [.. current, subscriber];
                return false;
            }

            _topics[topic] = [subscriber];
            return true;
        }
    }

    /// <summary>Removes a subscriber. Returns true when the topic has none left on this node.</summary>
    public bool Remove(string topic, IBroadcastSubscriber subscriber)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var current))
            {
                return false;
            }

            var index = Array.IndexOf(current, subscriber);
            if (index < 0)
            {
                return false;
            }

            if (current.Length == 1)
            {
                _topics.TryRemove(topic, out _);
                return true;
            }

            var next = new IBroadcastSubscriber[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            _topics[topic] = next;
            return false;
        }
    }

    /// <summary>How many subscribers a topic has on this node.</summary>
    public int Count(string topic)
    {
        return _topics.TryGetValue(topic, out var current) ? current.Length : 0;
    }

    /// <summary>Hands the broadcast to every local subscriber of its topic but the excluded one.</summary>
    public void Deliver(Broadcast broadcast)
    {
        if (!_topics.TryGetValue(broadcast.Topic, out var subscribers))
        {
            return;
        }

        foreach (var subscriber in subscribers)
        {
            if (!ReferenceEquals(subscriber, broadcast.Except))
            {
                subscriber.Deliver(broadcast);
            }
        }
    }
}
