using Chat.Channels.PubSub;

namespace Chat.Channels.Tests;

public sealed class LocalSubscriptionsTests
{
    private sealed class Counter : IBroadcastSubscriber
    {
        private int _received;

        public int Received => Volatile.Read(ref _received);

        public void Deliver(Broadcast broadcast) => Interlocked.Increment(ref _received);
    }

    private static Broadcast Message(string topic, IBroadcastSubscriber? except = null) => new(topic, "e", Payload.Empty, except);

    [Fact]
    public void Add_and_remove_report_the_first_and_the_last_subscriber()
    {
        var subscriptions = new LocalSubscriptions();
        var a = new Counter();
        var b = new Counter();

        Assert.True(subscriptions.Add("t", a));
        Assert.False(subscriptions.Add("t", b));
        Assert.False(subscriptions.Remove("t", a));
        Assert.True(subscriptions.Remove("t", b));
        Assert.False(subscriptions.Remove("t", b));
        Assert.True(subscriptions.Add("t", a), "a topic that emptied starts afresh");
    }

    [Fact]
    public void A_lone_subscriber_stays_reachable_and_removable_as_others_come_and_go()
    {
        var subscriptions = new LocalSubscriptions();
        var first = new Counter();
        var second = new Counter();
        var third = new Counter();

        subscriptions.Add("t", first);
        subscriptions.Add("t", first);
        subscriptions.Deliver(Message("t"));
        subscriptions.Add("t", second);
        subscriptions.Deliver(Message("t"));
        subscriptions.Remove("t", second);
        subscriptions.Add("t", third);
        subscriptions.Deliver(Message("t"));

        Assert.Equal((3, 1, 1), (first.Received, second.Received, third.Received));
        Assert.Equal(2, subscriptions.Count("t"));
        Assert.False(subscriptions.Remove("t", first));
        Assert.True(subscriptions.Remove("t", third));
    }

    [Fact]
    public void Delivery_reaches_each_subscriber_of_the_topic_once_except_the_excluded_one()
    {
        var subscriptions = new LocalSubscriptions();
        var a = new Counter();
        var b = new Counter();
        var elsewhere = new Counter();
        subscriptions.Add("t", a);
        subscriptions.Add("t", b);
        subscriptions.Add("t", a);
        subscriptions.Add("other", elsewhere);

        subscriptions.Deliver(Message("t"));
        subscriptions.Deliver(Message("t", except: a));

        Assert.Equal((1, 2, 0), (a.Received, b.Received, elsewhere.Received));
    }

    [Fact]
    public void A_crowd_that_joins_and_mostly_leaves_keeps_exactly_the_ones_who_stayed()
    {
        var subscriptions = new LocalSubscriptions();
        var crowd = Enumerable.Range(0, 10_000).Select(_ => new Counter()).ToList();
        crowd.ForEach(c => subscriptions.Add("room", c));

        foreach (var leaver in crowd.Where((_, i) => i % 100 != 0))
        {
            subscriptions.Remove("room", leaver);
        }

        subscriptions.Deliver(Message("room"));

        Assert.Equal(100, subscriptions.Count("room"));
        Assert.All(crowd.Where((_, i) => i % 100 == 0), c => Assert.Equal(1, c.Received));
        Assert.All(crowd.Where((_, i) => i % 100 != 0), c => Assert.Equal(0, c.Received));
    }

    [Fact]
    public async Task Concurrent_joins_and_leaves_lose_no_one()
    {
        var subscriptions = new LocalSubscriptions();
        var stayers = Enumerable.Range(0, 2_000).Select(_ => new Counter()).ToArray();
        var visitors = Enumerable.Range(0, 2_000).Select(_ => new Counter()).ToArray();

        await Task.WhenAll(
            Task.Run(() => Parallel.ForEach(stayers, s => subscriptions.Add("room", s))),
            Task.Run(() => Parallel.ForEach(visitors, v =>
            {
                subscriptions.Add("room", v);
                subscriptions.Remove("room", v);
            })),
            Task.Run(() =>
            {
                for (var i = 0; i < 200; i++)
                {
                    subscriptions.Deliver(Message("room"));
                }
            }));

        subscriptions.Deliver(Message("room"));
        Assert.Equal(stayers.Length, subscriptions.Count("room"));
        Assert.All(stayers, s => Assert.InRange(s.Received, 1, 201));
    }
}
