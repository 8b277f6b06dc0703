using System.Text.Json;
using Chat.Rooms;
using Chat.Channels.Testing;

namespace Chat.Server.Tests.Channels;

/// <summary>CONTRACT.md §4 on <c>room:{slug}</c>: edit_msg, delete_msg, react, unreact, and catching up on changes.</summary>
public sealed class MessageChangesChannelTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    private static long s_nextUser = 1000;

    // Users of their own per test (xUnit makes an instance per test): the harness's rate limit is per user.
    private readonly ChatUser Ann = NewUser("ann");
    private readonly ChatUser Bob = NewUser("bob");

    private static ChatUser NewUser(string name) => new(Interlocked.Increment(ref s_nextUser), name);

    private async Task<(RoomView Room, long MessageId)> RoomWithMessageAsync(ChatUser author, string content = "original")
    {
        var room = await harness.NewRoomAsync();
        var message = (await harness.Messages.CreateAsync(room, author, content, null)).Value!.Message;
        return (room, message.Id);
    }

    [Fact]
    public async Task Edit_msg_replies_with_the_message_then_broadcasts_msg_updated()
    {
        var (room, id) = await RoomWithMessageAsync(Ann);
        var annSocket = harness.Connect(Ann);
        var (_, ann) = await annSocket.JoinAsync($"room:{room.Slug}");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        var @ref = await ann.PushNoWaitAsync("edit_msg", new { id, content = "fixed" });

        var first = await annSocket.ReceiveAsync(m => m.Ref == @ref || m.Event == "msg_updated");
        Assert.Equal("phx_reply", first!.Event); // the reply comes before the broadcast
        var replied = first.Payload.GetProperty("response").GetProperty("message");
        Assert.Equal("fixed", replied.GetProperty("content").GetString());
        Assert.NotEqual(JsonValueKind.Null, replied.GetProperty("edited_at").ValueKind);
        var updated = await bob.AssertPushAsync("msg_updated");
        Assert.Equal(replied.GetRawText(), updated.GetRawText());
        Assert.True(updated.GetProperty("rev").GetInt64() > id);
        await ann.AssertPushAsync("msg_updated");
    }

    [Fact]
    public async Task Another_users_message_is_forbidden_and_an_unknown_one_not_found()
    {
        var (room, id) = await RoomWithMessageAsync(Ann);
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");
        // Another user for the last two: the harness allows a burst of three changes per user.
        var (_, carol) = await harness.Connect(NewUser("carol")).JoinAsync($"room:{room.Slug}");

        var edit = await bob.PushAsync("edit_msg", new { id, content = "mine now" });
        var delete = await bob.PushAsync("delete_msg", new { id });
        var unknown = await carol.PushAsync("edit_msg", new { id = long.MaxValue - 5, content = "x" });
        var blank = await carol.PushAsync("react", new { id });

        Assert.Equal("forbidden", edit.Response.GetProperty("reason").GetString());
        Assert.Equal("forbidden", delete.Response.GetProperty("reason").GetString());
        Assert.Equal("not found", unknown.Response.GetProperty("reason").GetString());
        Assert.Equal("can't be blank", blank.Response.GetProperty("errors").GetProperty("emoji")[0].GetString());
        await bob.RefutePushAsync("msg_updated", TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Delete_msg_replies_ok_and_broadcasts_msg_deleted_once()
    {
        var (room, id) = await RoomWithMessageAsync(Ann);
        var (_, ann) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        var first = await ann.PushAsync("delete_msg", new { id });
        var again = await ann.PushAsync("delete_msg", new { id });

        Assert.True(first.IsOk);
        Assert.True(again.IsOk);
        var deleted = await bob.AssertPushAsync("msg_deleted");
        Assert.Equal(["id", "room_id", "rev"], deleted.EnumerateObject().Select(p => p.Name));
        Assert.Equal(id, deleted.GetProperty("id").GetInt64());
        Assert.Equal(room.Id, deleted.GetProperty("room_id").GetInt64());
        await bob.RefutePushAsync("msg_deleted", TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task React_and_unreact_broadcast_the_reactions_and_a_repeat_broadcasts_nothing()
    {
        var (room, id) = await RoomWithMessageAsync(Ann);
        var (_, ann) = await harness.Connect(Ann).JoinAsync($"room:{room.Slug}");
        var (_, bob) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");

        Assert.True((await bob.PushAsync("react", new { id, emoji = "👍" })).IsOk);
        var added = await ann.AssertPushAsync("reactions");
        Assert.True((await bob.PushAsync("react", new { id, emoji = "👍" })).IsOk);
        await ann.RefutePushAsync("reactions", TimeSpan.FromMilliseconds(200));
        Assert.True((await bob.PushAsync("unreact", new { id, emoji = "👍" })).IsOk);
        var removed = await ann.AssertPushAsync("reactions");

        Assert.Equal(["id", "room_id", "reactions", "rev"], added.EnumerateObject().Select(p => p.Name));
        Assert.Equal([Bob.Id], added.GetProperty("reactions").GetProperty("👍").EnumerateArray().Select(u => u.GetInt64()));
        Assert.Equal("{}", removed.GetProperty("reactions").GetRawText());
        Assert.True(removed.GetProperty("rev").GetInt64() > added.GetProperty("rev").GetInt64());
    }

    [Fact]
    public async Task A_rejoin_with_last_rev_gets_the_older_messages_changed_meanwhile()
    {
        var (room, id) = await RoomWithMessageAsync(Ann);
        var second = (await harness.Messages.CreateAsync(room, Ann, "second", null)).Value!.Message;
        var (joined, _) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}");
        var lastRev = joined.Response.GetProperty("messages").EnumerateArray().Max(m => m.GetProperty("rev").GetInt64());

        await harness.Messages.EditAsync(room, Ann, id, "edited while away");
        await harness.Messages.DeleteAsync(room, Ann, second.Id);
        var (rejoined, _) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}", new { last_seen_id = second.Id, last_rev = lastRev });
        var (plain, _) = await harness.Connect(Bob).JoinAsync($"room:{room.Slug}", new { last_seen_id = second.Id });

        var changed = rejoined.Response.GetProperty("changed").EnumerateArray().ToList();
        Assert.Equal([id, second.Id], changed.Select(m => m.GetProperty("id").GetInt64()));
        Assert.Equal("edited while away", changed[0].GetProperty("content").GetString());
        Assert.True(changed[1].GetProperty("deleted").GetBoolean());
        Assert.False(rejoined.Response.GetProperty("changed_more").GetBoolean());
        Assert.Empty(rejoined.Response.GetProperty("messages").EnumerateArray());
        Assert.False(plain.Response.TryGetProperty("changed", out _));
    }
}
