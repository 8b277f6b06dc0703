using System.Text.Json;
using Chat.Channels.Presence;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;


/// <summary>
/// The specification of <see cref="IPresence"/>, through <see cref="PresenceChannel"/>, the way
/// a chat room uses it, on two nodes of one cluster: what any tracker must do, in-process or
/// across nodes. Presences are written as <c>"ann:ref1,ref2 bob:ref3"</c> (keys in order, each
/// key's phx_refs in list order) after checking that every entry has exactly the shape
/// phoenix.js reads. Tests that do not say otherwise put everyone on the first node.
/// </summary>
public abstract class PresenceSpecification : IAsyncLifetime
{
    private const string Room = "presence:room";

    private Cluster _cluster = null!;
    private ChannelTestHost _host = null!;
    private ChannelTestHost _other = null!;

    private IPresence Presence => _host.Services.GetRequiredService<IPresence>();

    /// <summary>A new cluster with no nodes yet.</summary>
    protected abstract Cluster CreateCluster();

    public Task InitializeAsync()
    {
        _cluster = CreateCluster();
        _host = _cluster.AddNode();
        _other = _cluster.AddNode();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Presence_state_after_join_lists_every_member_in_the_shape_phoenix_js_reads()
    {
        var ann = await JoinAsync("ann");
        var bob = await JoinAsync("bob");

        Assert.Equal($"ann:{ann.Ref}", Describe(ann.State));
        Assert.Equal($"ann:{ann.Ref} bob:{bob.Ref}", Describe(bob.State));
        var meta = bob.State.GetProperty("ann").GetProperty("metas")[0];
        Assert.Equal(["username", "device", "online_at", "phx_ref"], meta.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ann", meta.Str("username"));
        Assert.Equal(JsonValueKind.String, meta.GetProperty("online_at").ValueKind);
    }

    [Fact]
    public async Task Tracking_broadcasts_a_join_diff_that_members_already_there_receive()
    {
        var ann = await JoinAsync("ann");

        var bob = await JoinAsync("bob");

        var diff = await NextDiffAsync(ann);
        AssertDiff(diff, joins: $"bob:{bob.Ref}", leaves: "");
        Assert.Equal("bob", diff.GetProperty("joins").GetProperty("bob").GetProperty("metas")[0].Str("username"));
    }

    [Fact]
    public async Task Two_sockets_with_the_same_key_are_one_key_with_two_metas()
    {
        var laptop = await JoinAsync("ann", device: "laptop");
        var phone = await JoinAsync("ann", device: "phone");

        Assert.NotEqual(laptop.Ref, phone.Ref);
        Assert.Equal($"ann:{laptop.Ref},{phone.Ref}", Describe(phone.State));
        var metas = phone.State.GetProperty("ann").GetProperty("metas");
        Assert.Equal(["laptop", "phone"], metas.EnumerateArray().Select(m => m.Str("device")));
        AssertDiff(await NextDiffAsync(laptop), joins: $"ann:{phone.Ref}", leaves: "");
    }

    [Fact]
    public async Task Closing_one_of_two_sockets_of_a_key_sends_a_leave_of_that_meta_only()
    {
        var bob = await JoinAsync("bob");
        var laptop = await JoinAsync("ann", device: "laptop");
        var phone = await JoinAsync("ann", device: "phone");
        await NextDiffAsync(bob);
        await NextDiffAsync(bob);

        await laptop.Socket.CloseAsync();

        AssertDiff(await NextDiffAsync(bob), joins: "", leaves: $"ann:{laptop.Ref}");
        AssertDiff(await NextDiffAsync(phone), joins: "", leaves: $"ann:{laptop.Ref}");
        Assert.Equal($"ann:{phone.Ref} bob:{bob.Ref}", await ListAsync());
    }

    [Fact]
    public async Task Leaving_the_topic_untracks()
    {
        var bob = await JoinAsync("bob");
        var ann = await JoinAsync("ann");
        await NextDiffAsync(bob);

        Assert.True((await ann.Channel.LeaveAsync()).IsOk);

        AssertDiff(await NextDiffAsync(bob), joins: "", leaves: $"ann:{ann.Ref}");
        Assert.Equal($"bob:{bob.Ref}", await ListAsync());
    }

    [Fact]
    public async Task A_crashed_channel_untracks()
    {
        var bob = await JoinAsync("bob");
        var ann = await JoinAsync("ann");
        await NextDiffAsync(bob);

        await ann.Channel.PushNoWaitAsync("crash");

        Assert.Equal("channel_crash", (await ann.Channel.AssertPushAsync("phx_error")).Str("reason"));
        AssertDiff(await NextDiffAsync(bob), joins: "", leaves: $"ann:{ann.Ref}");
        Assert.Equal($"bob:{bob.Ref}", await ListAsync());
    }

    [Fact]
    public async Task A_duplicate_join_untracks_the_old_channel_before_the_new_one_tracks()
    {
        var bob = await JoinAsync("bob");
        var first = await JoinAsync("ann");
        await NextDiffAsync(bob);

        var second = await JoinAsync("ann", socket: first.Socket);

        // The old channel leaves before the new one joins: in one batched diff (which
        // phoenix.js applies joins first, then leaves) or in two, the leave first.
        var diff = await NextDiffAsync(bob);
        if (diff.GetProperty("joins").EnumerateObject().Any())
        {
            AssertDiff(diff, joins: $"ann:{second.Ref}", leaves: $"ann:{first.Ref}");
        }
        else
        {
            AssertDiff(diff, joins: "", leaves: $"ann:{first.Ref}");
            AssertDiff(await NextDiffAsync(bob), joins: $"ann:{second.Ref}", leaves: "");
        }

        Assert.Equal($"ann:{second.Ref} bob:{bob.Ref}", Describe(second.State));
        Assert.Equal($"ann:{second.Ref} bob:{bob.Ref}", await ListAsync());
    }

    [Fact]
    public async Task A_join_refused_after_tracking_leaves_no_trace_in_the_members_view()
    {
        var bob = await JoinAsync("bob");

        var (reply, _) = await Connect("ann").JoinAsync(Room, new { refuse_after_track = true });

        Assert.Equal("refused", reply.Response.Str("reason"));
        Assert.Equal($"bob:{bob.Ref}", await ListAsync());
        // Usually the join and its leave fall in one batching window and cancel out, so the
        // members never hear of the visitor (PresenceViewTests shows the cancelling). On a busy
        // machine they may fall in two: then a leave must follow every join members were told of.
        var joined = new HashSet<string>(StringComparer.Ordinal);
        while (await bob.Socket.ReceiveAsync(m => m.Event == "presence_diff", TimeSpan.FromMilliseconds(400)) is { } diff)
        {
            joined.UnionWith(AllRefs(diff.Payload.GetProperty("joins")));
            joined.ExceptWith(AllRefs(diff.Payload.GetProperty("leaves")));
        }

        Assert.Empty(joined);
    }

    [Fact]
    public async Task UntrackAsync_sends_a_leave_and_the_channel_ending_later_sends_none()
    {
        var bob = await JoinAsync("bob");
        var ann = await JoinAsync("ann");
        await NextDiffAsync(bob);

        Assert.True((await ann.Channel.PushAsync("untrack")).IsOk);

        AssertDiff(await NextDiffAsync(bob), joins: "", leaves: $"ann:{ann.Ref}");
        Assert.Equal($"bob:{bob.Ref}", await ListAsync());
        Assert.True((await ann.Channel.PushAsync("untrack")).IsOk, "untracking a key not tracked does nothing");
        using var probe = await _host.SubscribeAsync(Room);

        await ann.Socket.CloseAsync();

        // Diffs go out in the order of the state, so a second leave from the channel's end
        // would come before the join of whoever tracks next, or with it: however long it took.
        var cid = await JoinAsync("cid");
        AssertDiff(await probe.AssertBroadcastAsync("presence_diff"), joins: $"cid:{cid.Ref}", leaves: "");
    }

    [Fact]
    public async Task A_channel_cannot_track_the_same_key_twice()
    {
        var ann = await JoinAsync("ann");

        var reply = await ann.Channel.PushAsync("track_again");

        Assert.Equal("error", reply.Status);
        Assert.Contains("already tracks", reply.Response.Str("reason"), StringComparison.Ordinal);
        Assert.Equal($"ann:{ann.Ref}", await ListAsync());
    }

    [Fact]
    public async Task A_channel_that_has_ended_is_not_tracked()
    {
        var ann = await JoinAsync("ann");
        var socket = _host.Services.GetRequiredService<JoinedChannels>().Last(Room);
        using var probe = await _host.SubscribeAsync(Room);
        await ann.Socket.CloseAsync();
        await probe.AssertBroadcastAsync("presence_diff"); // ann's leave

        var phxRef = await Presence.TrackAsync(socket, "late", new { username = "late" });

        Assert.False(string.IsNullOrEmpty(phxRef));
        Assert.Equal("", await ListAsync());
        // Had the late track been announced, its join would come before (or with) the next one.
        var bob = await JoinAsync("bob");
        AssertDiff(await probe.AssertBroadcastAsync("presence_diff"), joins: $"bob:{bob.Ref}", leaves: "");
    }

    [Fact]
    public async Task The_meta_must_be_a_json_object_and_the_trackers_phx_ref_replaces_any_other()
    {
        await JoinAsync("ann");
        var socket = _host.Services.GetRequiredService<JoinedChannels>().Last(Room);

        await Assert.ThrowsAsync<ArgumentException>(() => Presence.TrackAsync(socket, "list", new[] { 1, 2 }).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => Presence.TrackAsync(socket, "binary", Payload.FromBinary(new byte[] { 1 })).AsTask());
        var typed = await Presence.TrackAsync(socket, "typed", new { phx_ref = "mine", status = "away" });
        var encoded = await Presence.TrackAsync(socket, "encoded", Payload.FromJson("""{ "status": "busy" }"""u8.ToArray()));
        var empty = await Presence.TrackAsync(socket, "empty", null);

        var state = (await Presence.ListAsync(Room)).ToJsonElement();
        Assert.Equal($$"""{"status":"away","phx_ref":"{{typed}}"}""", state.GetProperty("typed").GetProperty("metas")[0].GetRawText());
        Assert.Equal($$"""{"status":"busy","phx_ref":"{{encoded}}"}""", state.GetProperty("encoded").GetProperty("metas")[0].GetRawText());
        Assert.Equal($$"""{"phx_ref":"{{empty}}"}""", state.GetProperty("empty").GetProperty("metas")[0].GetRawText());
        Assert.False(state.TryGetProperty("list", out _));
    }

    [Fact]
    public async Task Listing_a_topic_nobody_tracks_is_the_empty_object()
    {
        Assert.Equal("{}", (await Presence.ListAsync("presence:nobody")).ToString());
    }

    [Fact]
    public async Task Concurrent_joins_and_closes_keep_every_member_with_unique_refs_and_diffs_in_order()
    {
        const int Members = 40;
        const string Busy = "presence:busy";
        using var probe = await _host.SubscribeAsync(Busy);

        // Five keys, eight channels each, all joining at once on different threads.
        var members = await Task.WhenAll(Enumerable.Range(0, Members).Select(i =>
            Task.Run(() => JoinAsync($"user{i % 5}", topic: Busy))));

        var refs = members.Select(m => m.Ref).ToHashSet();
        Assert.Equal(Members, refs.Count);
        var listed = (await Presence.ListAsync(Busy)).ToJsonElement();
        Assert.Equal(5, listed.EnumerateObject().Count());
        Assert.True(refs.SetEquals(AllRefs(listed)));
        var replayed = new Dictionary<string, HashSet<string>>();
        await ReplayAsync(probe, Members, replayed);
        Assert.Equal(Canonical(listed), Canonical(replayed));

        await Task.WhenAll(members.Select(m => Task.Run(m.Socket.CloseAsync)));

        Assert.Equal("{}", (await Presence.ListAsync(Busy)).ToString());
        await ReplayAsync(probe, Members, replayed);
        Assert.Empty(replayed);
    }

    [Fact]
    public async Task A_crowd_joining_at_once_is_announced_in_a_few_batched_diffs()
    {
        const string Hall = "presence:hall";
        // A window long enough that 30 joins at once fit in a few of them even on a busy
        // machine, so the count of diffs says whether changes are batched, not how fast it ran.
        var node = _cluster.AddNode(options => options.PresenceBroadcastInterval = TimeSpan.FromSeconds(1));
        using var probe = await node.SubscribeAsync(Hall);
        var sockets = Enumerable.Range(0, 30).Select(i => Connect($"guest{i}", node)).ToList();

        await Task.WhenAll(sockets.Select(socket => socket.JoinAsync(Hall, new { device = "web" })));

        var replayed = new Dictionary<string, HashSet<string>>();
        var diffs = 0;
        while (replayed.Count < 30)
        {
            await ReplayAsync(probe, 1, replayed);
            diffs++;
        }

        Assert.InRange(diffs, 1, 5);
        Assert.Equal(30, (await node.Services.GetRequiredService<IPresence>().ListAsync(Hall)).ToJsonElement().EnumerateObject().Count());
    }

    [Fact]
    public async Task Members_on_two_nodes_see_each_other_and_the_same_list()
    {
        var ann = await JoinAsync("ann");

        var bob = await JoinAsync("bob", node: _other);

        Assert.Equal($"ann:{ann.Ref} bob:{bob.Ref}", Describe(bob.State));
        AssertDiff(await NextDiffAsync(ann), joins: $"bob:{bob.Ref}", leaves: "");
        Assert.Equal($"ann:{ann.Ref} bob:{bob.Ref}", await ListAsync(_host));
        Assert.Equal($"ann:{ann.Ref} bob:{bob.Ref}", await ListAsync(_other));
        Assert.Equal(2, await _other.Services.GetRequiredService<IPresence>().CountAsync(Room));

        await bob.Socket.CloseAsync();

        AssertDiff(await NextDiffAsync(ann), joins: "", leaves: $"bob:{bob.Ref}");
        Assert.Equal($"ann:{ann.Ref}", await ListAsync(_other));
    }

    [Fact]
    public async Task One_user_on_two_nodes_is_one_key_with_a_meta_from_each()
    {
        var laptop = await JoinAsync("ann", device: "laptop");

        var phone = await JoinAsync("ann", device: "phone", node: _other);

        Assert.Equal($"ann:{laptop.Ref},{phone.Ref}", Describe(phone.State));
        AssertDiff(await NextDiffAsync(laptop), joins: $"ann:{phone.Ref}", leaves: "");
    }

    [Fact]
    public async Task A_node_that_stops_takes_its_members_out_of_every_nodes_presence()
    {
        var ann = await JoinAsync("ann");
        var third = _cluster.AddNode();
        var bob = await JoinAsync("bob", node: third);
        var cid = await JoinAsync("cid", node: third);
        // Ann's own view, from her presence_state on: she has heard of both before the stop.
        var replayed = new Dictionary<string, HashSet<string>> { ["ann"] = [ann.Ref] };
        await ReplayUntilAsync(ann, replayed, $"ann:{ann.Ref} bob:{bob.Ref} cid:{cid.Ref}");

        await _cluster.StopNodeAsync(third);

        await ReplayUntilAsync(ann, replayed, $"ann:{ann.Ref}");
        Assert.Equal($"ann:{ann.Ref}", await ListAsync(_host));
        Assert.Equal($"ann:{ann.Ref}", await ListAsync(_other));
    }

    [Fact]
    public async Task Above_the_list_limit_only_the_keys_present_longest_are_listed_and_members_get_the_count()
    {
        await using var limited = CreateCluster();
        var small = limited.AddNode(options => options.PresenceListLimit = 3);
        var smallOther = limited.AddNode(options => options.PresenceListLimit = 3);
        const string Hall = "presence:limited";
        var members = new List<Member>();
        for (var i = 0; i < 5; i++)
        {
            // One at a time, alternating nodes, so that the tracking order is u0, u1, ... u4.
            members.Add(await JoinAsync($"u{i}", topic: Hall, node: i % 2 == 0 ? small : smallOther, listed: i < 3));
        }

        var first = members[0];
        var last = members[4];
        Assert.Equal($"u0:{first.Ref} u1:{members[1].Ref} u2:{members[2].Ref}", Describe(last.State));
        // u3 joined on the other node: this one counts it once the backplane has brought it here.
        await UntilEqualAsync(5, () => small.Services.GetRequiredService<IPresence>().CountAsync(Hall));
        Assert.Equal(5, (await last.Socket.ReceiveAsync(m => m.Topic == Hall && m.Event == "presence_count" && m.Payload.GetProperty("count").GetInt32() == 5)
            ?? throw new TestAssertionException("no presence_count of 5")).Payload.GetProperty("count").GetInt32());

        // u1 leaves: u3, the next present longest, is listed in its place, on both nodes.
        await members[1].Socket.CloseAsync();

        Dictionary<string, HashSet<string>> Listed() => new() { ["u0"] = [first.Ref], ["u1"] = [members[1].Ref], ["u2"] = [members[2].Ref] };
        var expected = $"u0:{first.Ref} u2:{members[2].Ref} u3:{members[3].Ref}";
        await ReplayUntilAsync(first, Listed(), expected);
        await ReplayUntilAsync(last, Listed(), expected);
        Assert.Equal(expected, Describe((await small.Services.GetRequiredService<IPresence>().ListAsync(Hall)).ToJsonElement()));
        Assert.Equal(expected, Describe((await smallOther.Services.GetRequiredService<IPresence>().ListAsync(Hall)).ToJsonElement()));
        Assert.NotNull(await first.Socket.ReceiveAsync(m => m.Topic == Hall && m.Event == "presence_count" && m.Payload.GetProperty("count").GetInt32() == 4));
    }

    /// <summary>Applies the member's diffs to <paramref name="state"/> until it reads <paramref name="expected"/>.</summary>
    private static async Task ReplayUntilAsync(Member member, Dictionary<string, HashSet<string>> state, string expected)
    {
        while (Canonical(state) != expected)
        {
            var diff = await NextDiffAsync(member);
            foreach (var join in diff.GetProperty("joins").EnumerateObject())
            {
                if (!state.TryGetValue(join.Name, out var refs))
                {
                    state[join.Name] = refs = [];
                }

                refs.UnionWith(join.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")));
            }

            foreach (var leave in diff.GetProperty("leaves").EnumerateObject())
            {
                if (state.TryGetValue(leave.Name, out var refs))
                {
                    refs.ExceptWith(leave.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")));
                    if (refs.Count == 0)
                    {
                        state.Remove(leave.Name);
                    }
                }
            }
        }
    }

    /// <summary>Reads until <paramref name="read"/> gives <paramref name="expected"/>, and fails with the last value if it never does.</summary>
    private static async Task UntilEqualAsync<T>(T expected, Func<ValueTask<T>> read)
    {
        var deadline = DateTime.UtcNow + ChannelTestHost.DefaultTimeout;
        var actual = await read();
        while (!EqualityComparer<T>.Default.Equals(expected, actual) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            actual = await read();
        }

        Assert.Equal(expected, actual);
    }

    private async Task<string> ListAsync(ChannelTestHost node) =>
        Describe((await node.Services.GetRequiredService<IPresence>().ListAsync(Room)).ToJsonElement());

    private TestSocket Connect(string user, ChannelTestHost? node = null) =>
        (node ?? _host).Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = user });

    /// <summary>
    /// Joins <see cref="PresenceChannel"/> and waits for everything its join sends the client:
    /// the reply, the diff of its own join, its phx_ref, and presence_state.
    /// </summary>
    private async Task<Member> JoinAsync(string user, string topic = Room, string device = "web", TestSocket? socket = null, ChannelTestHost? node = null, bool listed = true)
    {
        socket ??= Connect(user, node);
        var (reply, channel) = await socket.JoinAsync(topic, new { device });
        Assert.True(reply.IsOk);
        var phxRef = (await channel.AssertPushAsync("tracked")).Str("phx_ref");
        var state = await channel.AssertPushAsync("presence_state");
        if (!listed)
        {
            return new Member(socket, channel, phxRef, state);
        }

        var ownJoin = await socket.ReceiveAsync(m => m.Topic == topic && m.Event == "presence_diff" && m.Payload.GetRawText().Contains(phxRef, StringComparison.Ordinal))
            ?? throw new TestAssertionException($"{user} did not see its own join. Pending: {string.Join(", ", socket.Pending.Select(m => $"{m.Topic}/{m.Event} {m.Payload.GetRawText()}"))}");
        // Diffs are batched, so others who joined in the same moment may share this one.
        Assert.Contains(phxRef, ownJoin.Payload.GetProperty("joins").GetProperty(user).GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")));
        return new Member(socket, channel, phxRef, state);
    }

    private static async Task<JsonElement> NextDiffAsync(Member member)
    {
        var message = await member.Socket.ReceiveAsync(m => m.Topic == member.Channel.Topic && m.Event == "presence_diff")
            ?? throw new TestAssertionException("Expected a presence_diff; got none.");
        Assert.True(message.IsBroadcast);
        return message.Payload;
    }

    private async Task<string> ListAsync() => Describe((await Presence.ListAsync(Room)).ToJsonElement());

    private static void AssertDiff(JsonElement diff, string joins, string leaves)
    {
        Assert.Equal(["joins", "leaves"], diff.EnumerateObject().Select(p => p.Name));
        Assert.Equal(joins, Describe(diff.GetProperty("joins")));
        Assert.Equal(leaves, Describe(diff.GetProperty("leaves")));
    }

    /// <summary>
    /// <c>"ann:r1,r2 bob:r3"</c>; fails unless every key maps to exactly <c>{"metas": [...]}</c>
    /// and every meta is an object with a string <c>phx_ref</c>.
    /// </summary>
    private static string Describe(JsonElement presences)
    {
        Assert.Equal(JsonValueKind.Object, presences.ValueKind);
        var parts = new List<string>();
        foreach (var presence in presences.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            Assert.Equal(["metas"], presence.Value.EnumerateObject().Select(p => p.Name));
            var refs = presence.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref"));
            parts.Add($"{presence.Name}:{string.Join(",", refs)}");
        }

        return string.Join(" ", parts);
    }

    private static IEnumerable<string> AllRefs(JsonElement presences) =>
        presences.EnumerateObject().SelectMany(p => p.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")));

    /// <summary>
    /// Applies the next <paramref name="count"/> diffs the probe saw, in order, as phoenix.js's
    /// syncDiff does. A leave published before the join it undoes would leave a ghost behind.
    /// </summary>
    /// <summary>Applies diffs as phoenix.js does (joins, then leaves) until <paramref name="changes"/> metas have changed.</summary>
    private static async Task ReplayAsync(BroadcastProbe probe, int changes, Dictionary<string, HashSet<string>> state)
    {
        var applied = 0;
        while (applied < changes)
        {
            var diff = await probe.AssertBroadcastAsync("presence_diff");
            foreach (var join in diff.GetProperty("joins").EnumerateObject())
            {
                if (!state.TryGetValue(join.Name, out var refs))
                {
                    state[join.Name] = refs = [];
                }

                var joined = join.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")).ToList();
                refs.UnionWith(joined);
                applied += joined.Count;
            }

            foreach (var leave in diff.GetProperty("leaves").EnumerateObject())
            {
                var left = leave.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")).ToList();
                applied += left.Count;
                if (state.TryGetValue(leave.Name, out var refs))
                {
                    refs.ExceptWith(left);
                    if (refs.Count == 0)
                    {
                        state.Remove(leave.Name);
                    }
                }
            }
        }
    }

    private static string Canonical(JsonElement presences) =>
        string.Join(" ", presences.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}:{string.Join(",", p.Value.GetProperty("metas").EnumerateArray().Select(m => m.Str("phx_ref")).Order(StringComparer.Ordinal))}"));

    private static string Canonical(Dictionary<string, HashSet<string>> presences) =>
        string.Join(" ", presences.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}:{string.Join(",", p.Value.Order(StringComparer.Ordinal))}"));

    private sealed record Member(TestSocket Socket, TestChannel Channel, string Ref, JsonElement State);
}
