using Chat.Channels.Testing;

namespace Chat.Server.Tests.Channels;

/// <summary>CONTRACT.md §5 on the harness: <c>user:{id}</c>, <c>mention</c>, <c>mark_read</c> and <c>read</c>.</summary>
public sealed class UserChannelTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    [Fact]
    public async Task Only_the_user_may_join_their_topic()
    {
        var ann = await harness.NewUserAsync("ann");
        var bob = await harness.NewUserAsync("bob");

        var (own, _) = await harness.Connect(ann).JoinAsync($"user:{ann.Id}");
        var (other, _) = await harness.Connect(bob).JoinAsync($"user:{ann.Id}");
        var (garbage, _) = await harness.Connect(bob).JoinAsync("user:not-a-number");

        Assert.True(own.IsOk);
        Assert.Empty(own.Response.GetProperty("rooms").EnumerateArray());
        Assert.Equal("unauthorized", other.Response.GetProperty("reason").GetString());
        Assert.Equal("unauthorized", garbage.Response.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_mention_reaches_the_users_topic_whether_or_not_they_are_in_the_room()
    {
        var ann = await harness.NewUserAsync("ann");
        var bob = await harness.NewUserAsync("bob");
        var room = await harness.NewRoomAsync();
        var (_, annUser) = await harness.Connect(ann).JoinAsync($"user:{ann.Id}");
        var (_, bobRoom) = await harness.Connect(bob).JoinAsync($"room:{room.Slug}");

        var sent = await bobRoom.PushAsync("new_msg", new { content = $"hey @{ann.Username}" });

        var mention = await annUser.AssertPushAsync("mention");
        Assert.Equal(sent.Response.GetProperty("message").GetRawText(), mention.GetProperty("message").GetRawText());
        Assert.Equal(room.Slug, mention.GetProperty("room").GetProperty("slug").GetString());
    }

    [Fact]
    public async Task Mark_read_moves_the_marker_and_every_device_of_the_user_hears_read()
    {
        var ann = await harness.NewUserAsync("ann");
        var bob = await harness.NewUserAsync("bob");
        var room = await harness.NewRoomAsync();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await harness.Messages.CreateAsync(room, bob, i == 1 ? $"@{ann.Username}" : $"m{i}", null)).Value!.Message.Id);
        }

        var (_, phone) = await harness.Connect(ann).JoinAsync($"user:{ann.Id}");
        var (_, desktop) = await harness.Connect(ann).JoinAsync($"room:{room.Slug}");
        // Opening the room starts Ann's marker, just before the message that mentions her.
        var followed = await phone.AssertPushAsync("read");
        Assert.Equal(ids[1] - 1, followed.GetProperty("last_read_id").GetInt64());
        Assert.Equal(2, followed.GetProperty("unread").GetInt64());
        Assert.Equal(1, followed.GetProperty("mentions").GetInt64());

        var marked = await desktop.PushAsync("mark_read", new { id = ids[1] });
        var backwards = await desktop.PushAsync("mark_read", new { id = ids[0] });
        var unknown = await desktop.PushAsync("mark_read", new { id = long.MaxValue - 4 });

        Assert.True(marked.IsOk);
        Assert.True(backwards.IsOk);
        Assert.Equal("does not exist", unknown.Response.GetProperty("errors").GetProperty("id")[0].GetString());
        var read = await phone.AssertPushAsync("read");
        Assert.Equal(["room_id", "slug", "last_read_id", "unread", "mentions"], read.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ids[1], read.GetProperty("last_read_id").GetInt64());
        Assert.Equal(1, read.GetProperty("unread").GetInt64());
        Assert.Equal(0, read.GetProperty("mentions").GetInt64());
        await phone.RefutePushAsync("read", TimeSpan.FromMilliseconds(200)); // the backwards mark moved nothing

        var (rejoined, _) = await harness.Connect(ann).JoinAsync($"user:{ann.Id}");
        Assert.Equal(read.GetRawText(), Assert.Single(rejoined.Response.GetProperty("rooms").EnumerateArray()).GetRawText());
    }
}
