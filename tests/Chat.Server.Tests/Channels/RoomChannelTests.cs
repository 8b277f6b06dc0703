using System.Text.Json;
using Chat.Channels.Testing;

namespace Chat.Server.Tests.Channels;

public sealed class RoomChannelTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    private static readonly ChatUser Ann = new(1, "ann");
    private static readonly ChatUser Bob = new(2, "bob");

    private static long Id(JsonElement message) => message.GetProperty("id").GetInt64();

    [Fact]
    public async Task Joining_an_unknown_room_is_refused()
    {
        var (reply, _) = await harness.Connect(Ann).JoinAsync("room:nowhere-at-all");

        Assert.Equal("error", reply.Status);
        Assert.Equal("room not found", reply.Response.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Join_replies_with_the_room_and_its_newest_messages_then_pushes_presence()
    {
        var room = await harness.NewRoomAsync();
        var sent = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add((await harness.Messages.CreateAsync(room, Bob, $"m{i}", null)).Value!.Message.Id);
        }

        var (reply, channel) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");

        Assert.True(reply.IsOk);
        Assert.Equal(room.Slug, reply.Response.GetProperty("room").GetProperty("slug").GetString());
        Assert.Equal(sent, reply.Response.GetProperty("messages").EnumerateArray().Select(Id));
        Assert.False(reply.Response.GetProperty("has_more").GetBoolean());
        await channel.AssertPushAsync("presence_state");
        var diff = await channel.AssertPushAsync("presence_diff");
        Assert.True(diff.GetProperty("joins").TryGetProperty("1", out _));
    }

    [Fact]
    public async Task Join_with_last_seen_id_returns_what_followed()
    {
        var room = await harness.NewRoomAsync();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await harness.Messages.CreateAsync(room, Bob, $"m{i}", null)).Value!.Message.Id);
        }

        var (reply, _) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}", new { last_seen_id = ids[1] });

        Assert.Equal(ids[2..], reply.Response.GetProperty("messages").EnumerateArray().Select(Id));
    }

    [Fact]
    public async Task New_msg_replies_once_stored_then_broadcasts_the_same_message_to_everyone()
    {
        var room = await harness.NewRoomAsync();
        var annSocket = harness.Connect(Ann);
        var (_, ann) = await annSocket.JoinAsync($"room:{room.Slug}");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        var @ref = await ann.PushNoWaitAsync("new_msg", new { content = "hello", user_id = 99, username = "mallory" });

        var first = await annSocket.ReceiveAsync(m => m.Ref == @ref || m.Event == "new_msg");
        Assert.NotNull(first);
        Assert.Equal("phx_reply", first.Event); // the reply comes before the broadcast
        var message = first.Payload.GetProperty("response").GetProperty("message");
        Assert.Equal(Ann.Id, message.GetProperty("user_id").GetInt64());
        Assert.Equal("ann", message.GetProperty("username").GetString());
        Assert.Equal(Id(message), Id(await ann.AssertPushAsync("new_msg")));
        Assert.Equal(Id(message), Id(await bob.AssertPushAsync("new_msg")));
    }

    [Fact]
    public async Task Invalid_messages_get_field_errors_and_are_not_broadcast()
    {
        var room = await harness.NewRoomAsync();
        var (_, channel) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");

        var reply = await channel.PushAsync("new_msg", new { content = "  " });
        var wrongType = await channel.PushAsync("new_msg", new { content = 7 });

        Assert.Equal("can't be blank", reply.Response.GetProperty("errors").GetProperty("content")[0].GetString());
        Assert.Equal("error", wrongType.Status);
        await channel.RefutePushAsync("new_msg");
    }

    [Fact]
    public async Task The_rate_limit_refuses_what_exceeds_the_burst()
    {
        var room = await harness.NewRoomAsync();
        var user = new ChatUser(777, "flooder");
        var (_, channel) = await harness.Connect(user).JoinAsync($"room:{room.Slug}");

        var replies = new List<TestReply>();
        for (var i = 0; i < 5; i++)
        {
            replies.Add(await channel.PushAsync("new_msg", new { content = $"m{i}" }));
        }

        Assert.Equal(3, replies.Count(r => r.IsOk));
        Assert.All(replies.Skip(3), r => Assert.Equal("rate_limited", r.Response.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Typing_goes_to_other_users_but_not_to_the_typists_other_tabs()
    {
        var room = await harness.NewRoomAsync();
        var (_, annTab1) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        var (_, annTab2) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        Assert.True((await annTab1.PushAsync("typing")).IsOk);

        var typing = await bob.AssertPushAsync("typing");
        Assert.Equal(Ann.Id, typing.GetProperty("user_id").GetInt64());
        await annTab2.RefutePushAsync("typing", TimeSpan.FromMilliseconds(200));
        await annTab1.RefutePushAsync("typing");
    }

    [Fact]
    public async Task History_pages_older_messages()
    {
        var room = await harness.NewRoomAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await harness.Messages.CreateAsync(room, Bob, $"m{i}", null)).Value!.Message.Id);
        }

        var (_, channel) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        var page = await channel.PushAsync("history", new { before_id = ids[3], limit = 2 });
        var tooMany = await channel.PushAsync("history", new { before_id = ids[3], limit = 1000 });

        Assert.Equal(ids[1..3], page.Response.GetProperty("messages").EnumerateArray().Select(Id));
        Assert.True(page.Response.GetProperty("has_more").GetBoolean());
        Assert.Equal("error", tooMany.Status);
    }

    [Fact]
    public async Task History_pages_are_rate_limited_per_user_across_their_sockets()
    {
        // A user of its own, so that no other test spends this budget (3 pages, one more per 10 s).
        var reader = new ChatUser(41, "reader");
        var room = await harness.NewRoomAsync();
        var before = (await harness.Messages.CreateAsync(room, Bob, "m", null)).Value!.Message.Id + 1;
        var (_, firstTab) = await harness.Connect(reader).JoinAsync($"room:{room.Slug}");
        var (_, secondTab) = await harness.Connect(reader).JoinAsync($"room:{room.Slug}");

        var pages = new List<string>();
        foreach (var tab in new[] { firstTab, firstTab, secondTab, secondTab, firstTab })
        {
            var reply = await tab.PushAsync("history", new { before_id = before });
            pages.Add(reply.IsOk ? "ok" : reply.Response.GetProperty("reason").GetString()!);
        }
        var someoneElse = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        Assert.Equal(["ok", "ok", "ok", "rate_limited", "rate_limited"], pages);
        Assert.True((await someoneElse.Channel.PushAsync("history", new { before_id = before })).IsOk);
    }

    [Fact]
    public async Task Leaving_sends_a_presence_leave_to_the_others()
    {
        var room = await harness.NewRoomAsync();
        var (_, ann) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        await ann.AssertPushAsync("presence_state");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");
        JsonElement joined;
        do
        {
            joined = await ann.AssertPushAsync("presence_diff");
        }
        while (!joined.GetProperty("joins").TryGetProperty("2", out _));

        await bob.LeaveAsync();

        JsonElement diff;
        do
        {
            diff = await ann.AssertPushAsync("presence_diff");
        }
        while (!diff.GetProperty("leaves").TryGetProperty("2", out _));

        Assert.Single(diff.GetProperty("leaves").GetProperty("2").GetProperty("metas").EnumerateArray());
    }
}

public sealed class ChatChannelTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    [Fact]
    public async Task The_lobby_lists_rooms_and_announces_new_ones_to_every_member()
    {
        var ann = harness.Connect(new ChatUser(1, "ann"));
        var bob = harness.Connect(new ChatUser(2, "bob"));
        var (joined, annLobby) = await ann.JoinAsync("chat:lobby");
        var (_, bobLobby) = await bob.JoinAsync("chat:lobby");

        var reply = await annLobby.PushAsync("create_room", new { name = "Brand new", description = "fresh" });
        var invalid = await annLobby.PushAsync("create_room", new { name = "" });

        Assert.Contains(joined.Response.GetProperty("rooms").EnumerateArray(), r => r.GetProperty("slug").GetString() == "lobby");
        Assert.True(reply.IsOk);
        var slug = reply.Response.GetProperty("room").GetProperty("slug").GetString();
        Assert.Equal(slug, (await bobLobby.AssertPushAsync("room_created")).GetProperty("room").GetProperty("slug").GetString());
        Assert.Equal(slug, (await annLobby.AssertPushAsync("room_created")).GetProperty("room").GetProperty("slug").GetString());
        Assert.Equal("can't be blank", invalid.Response.GetProperty("errors").GetProperty("name")[0].GetString());
    }
}
