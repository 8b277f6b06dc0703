using System.Text;
using System.Text.Json;
using Chat.Channels.Presence;

namespace Chat.Channels.Tests;

/// <summary>The listing rules of big topics, on <see cref="PresenceView"/> alone.</summary>
public sealed class PresenceViewTests
{
    private static PresenceEntry Entry(string key, string phxRef, long seq) =>
        new(key, phxRef, seq, Encoding.UTF8.GetBytes($$"""{"phx_ref":"{{phxRef}}"}"""));

    private static string Keys(Payload state) =>
        string.Join(" ", state.ToJsonElement().EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

    private static string Describe(Payload? diff)
    {
        if (diff is not { } payload)
        {
            return "";
        }

        var json = payload.ToJsonElement();
        string Side(string name) => string.Join(",", json.GetProperty(name).EnumerateObject()
            .SelectMany(p => p.Value.GetProperty("metas").EnumerateArray().Select(m => m.GetProperty("phx_ref").GetString()))
            .Order(StringComparer.Ordinal));
        return $"+{Side("joins")} -{Side("leaves")}";
    }

    [Fact]
    public void The_keys_present_longest_are_listed_and_the_count_covers_all()
    {
        var view = new PresenceView(listLimit: 2);
        view.Add(Entry("ann", "a1", 1));
        view.Add(Entry("bob", "b1", 2));
        view.Add(Entry("cid", "c1", 3));

        Assert.Equal("ann bob", Keys(view.State()));
        Assert.Equal(3, view.KeyCount);
        var (diff, count) = view.TakeDiff();
        Assert.Equal("+a1,b1 -", Describe(diff));
        Assert.Equal(3, count);
    }

    [Fact]
    public void When_a_listed_key_leaves_the_next_is_listed_as_a_join()
    {
        var view = new PresenceView(listLimit: 2);
        view.Add(Entry("ann", "a1", 1));
        view.Add(Entry("bob", "b1", 2));
        view.Add(Entry("cid", "c1", 3));
        view.TakeDiff();

        view.Remove("a1");

        Assert.Equal("bob cid", Keys(view.State()));
        var (diff, count) = view.TakeDiff();
        Assert.Equal("+c1 -a1", Describe(diff));
        Assert.Equal(2, count);
    }

    [Fact]
    public void A_key_that_loses_its_oldest_entry_gives_way_to_an_older_unlisted_key()
    {
        var view = new PresenceView(listLimit: 1);
        view.Add(Entry("ann", "a1", 1));
        view.Add(Entry("bob", "b1", 2));
        view.Add(Entry("ann", "a2", 3));
        view.TakeDiff();

        view.Remove("a1");

        Assert.Equal("bob", Keys(view.State()));
        Assert.Equal("+b1 -a1,a2", Describe(view.TakeDiff().Diff));
    }

    [Fact]
    public void A_key_lists_its_entries_oldest_first_as_tabs_come_and_go()
    {
        var view = new PresenceView(listLimit: 5);
        view.Add(Entry("ann", "a2", 2));
        view.Add(Entry("ann", "a1", 1));
        view.Add(Entry("ann", "a3", 3));
        Assert.Equal("a1 a2 a3", Metas(view.State(), "ann"));

        view.Remove("a2");
        Assert.Equal("a1 a3", Metas(view.State(), "ann"));
        view.Remove("a1");
        view.Remove("a3");
        Assert.Equal("", Keys(view.State()));
        Assert.Equal(0, view.KeyCount);

        view.Add(Entry("ann", "a4", 4));
        Assert.Equal("a4", Metas(view.State(), "ann"));
        // Never announced, the three tabs cancel out in the same window.
        Assert.Equal("+a4 -", Describe(view.TakeDiff().Diff));
    }

    private static string Metas(Payload state, string key) =>
        string.Join(" ", state.ToJsonElement().GetProperty(key).GetProperty("metas").EnumerateArray().Select(m => m.GetProperty("phx_ref").GetString()));

    [Fact]
    public void Changes_within_one_window_cancel_out_and_unlisted_ones_say_nothing()
    {
        var view = new PresenceView(listLimit: 1);
        view.Add(Entry("ann", "a1", 1));
        view.TakeDiff();

        view.Add(Entry("bob", "b1", 2));
        view.Add(Entry("ann", "a2", 3));
        view.Remove("a2");
        view.Remove("b1");

        var (diff, count) = view.TakeDiff();
        Assert.Null(diff);
        Assert.Null(count);
        Assert.False(view.HasChanges);
    }

    [Fact]
    public void The_state_is_encoded_again_only_when_the_listed_keys_change()
    {
        var view = new PresenceView(listLimit: 1);
        view.Add(Entry("ann", "a1", 1));
        var first = view.State();

        view.Add(Entry("bob", "b1", 2));

        Assert.True(first.Bytes.Equals(view.State().Bytes), "an unlisted joiner does not change presence_state");
        view.Add(Entry("ann", "a2", 3));
        Assert.Equal(2, view.State().ToJsonElement().GetProperty("ann").GetProperty("metas").GetArrayLength());
    }
}
