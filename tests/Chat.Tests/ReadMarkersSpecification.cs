using Chat.Mentions;
using Chat.Messages;
using Chat.Persistence;
using Chat.ReadMarkers;
using Chat.Rooms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests;

/// <summary>Mentions, read markers and unread counts (CONTRACT.md §5), one suite for every provider.</summary>
public abstract class ReadMarkersSpecification(DatabaseFixture fixture)
{
    private MessageService Messages => fixture.Messages;

    private ReadMarkerService Markers => fixture.ReadMarkers;

    private async Task<RoomView> NewRoomAsync() =>
        (await fixture.Rooms.CreateAsync("Unread " + Guid.NewGuid().ToString("N")[..12], null)).Value!;

    /// <summary>A registered user: only those can be mentioned.</summary>
    private async Task<ChatUser> NewUserAsync(string stem = "u")
    {
        var name = stem + Guid.NewGuid().ToString("N")[..10];
        var user = (await fixture.Accounts.RegisterAsync(name, "password123")).Value!;
        return new ChatUser(user.Id, user.Username);
    }

    private async Task<MessageView> SendAsync(RoomView room, ChatUser author, string content)
    {
        var result = await Messages.CreateAsync(room, author, content, null);
        Assert.True(result.IsOk, result.Errors?.ToString() ?? result.Failure);
        return result.Value!.Message;
    }

    private IReadOnlyList<long> MentionedBy(MessageView message) =>
        fixture.Events.Stored.Single(s => s.Created && s.Message.Id == message.Id).Mentioned;

    private async Task<UnreadView?> UnreadAsync(ChatUser user, RoomView room) =>
        (await Markers.ListUnreadAsync(user.Id)).SingleOrDefault(u => u.RoomId == room.Id);

    // --- Mentions ----------------------------------------------------------------------

    [Fact]
    public void Mentions_are_at_signs_followed_by_username_characters_not_inside_a_word()
    {
        Assert.Equal([new("bob", null), new("carol.x", null), new("dave", null)], MentionRules.Names("@Bob hi @carol.x, and (@dave) @bob again"));
        Assert.Empty(MentionRules.Names("write to ann@example.com or @a or @" + new string('x', 33)));
        Assert.Empty(MentionRules.Names("no at signs here"));
    }

    [Fact]
    public void A_name_that_ends_in_dots_dashes_or_underscores_also_carries_the_name_without_them()
    {
        Assert.Equal([new MentionName("ann.", "ann")], MentionRules.Names("thanks @Ann."));
        Assert.Equal([new MentionName("ann_", "ann"), new MentionName("ann...", "ann"), new MentionName("ann-", "ann")], MentionRules.Names("@ann_ and @ann... or @ann-"));
        // What is left must still be a username: "ab" is too short to be one.
        Assert.Equal([new MentionName("ab.", null)], MentionRules.Names("ask @ab."));
    }

    [Fact]
    public async Task Punctuation_after_a_name_does_not_lose_the_mention_unless_the_longer_name_is_someone_s()
    {
        var room = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var carol = await NewUserAsync("carol");
        var carolDot = new ChatUser((await fixture.Accounts.RegisterAsync(carol.Username + ".", "password123")).Value!.Id, carol.Username + ".");

        var endOfSentence = await SendAsync(room, ann, $"Thanks, @{bob.Username}. And @{bob.Username}, again: @{bob.Username}!");
        var ellipsis = await SendAsync(room, ann, $"over to @{bob.Username}...");
        var longerExists = await SendAsync(room, ann, $"see @{carol.Username}.");
        var self = await SendAsync(room, carolDot, $"I am @{carolDot.Username}");

        Assert.Equal([bob.Id], MentionedBy(endOfSentence));
        Assert.Equal([bob.Id], MentionedBy(ellipsis));
        Assert.Equal([carolDot.Id], MentionedBy(longerExists));
        Assert.Empty(MentionedBy(self));
    }

    [Fact]
    public async Task A_message_mentions_existing_users_other_than_its_author_without_regard_to_case()
    {
        var room = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var carol = await NewUserAsync("carol");

        var message = await SendAsync(room, ann, $"@{bob.Username.ToUpperInvariant()} and @{carol.Username}: see @{ann.Username} and @nobody{Guid.NewGuid():N}");
        var plain = await SendAsync(room, ann, "nobody here");

        Assert.Equal(new[] { bob.Id, carol.Id }.Order(), MentionedBy(message).Order());
        Assert.Empty(MentionedBy(plain));
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        Assert.Equal(new[] { bob.Id, carol.Id }.Order(), await db.Mentions.Where(m => m.MessageId == message.Id).Select(m => m.UserId).OrderBy(id => id).ToListAsync());
    }

    [Fact]
    public async Task An_edit_replaces_the_mentions_and_tells_only_the_newly_mentioned()
    {
        var room = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var carol = await NewUserAsync("carol");
        var message = await SendAsync(room, ann, $"hi @{bob.Username}");

        var edit = await Messages.EditAsync(room, ann, message.Id, $"hi @{bob.Username} and @{carol.Username}");
        var dropBob = await Messages.EditAsync(room, ann, message.Id, $"hi @{carol.Username}");

        Assert.Equal([carol.Id], edit.Value!.Mentioned);
        Assert.Empty(dropBob.Value!.Mentioned);
        Assert.Null(await UnreadAsync(bob, room)); // no longer mentioned, never read
        Assert.Equal(new UnreadView(room.Id, room.Slug, message.Id - 1, 1, 1), await UnreadAsync(carol, room));
    }

    // --- Read markers and unread counts -----------------------------------------------

    [Fact]
    public async Task Unread_counts_other_users_messages_after_the_marker_without_tombstones_and_counts_mentions()
    {
        var room = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var first = await SendAsync(room, bob, "before");
        await Markers.MarkReadAsync(room, ann, first.Id);

        await SendAsync(room, bob, "one");
        await SendAsync(room, ann, "my own, never unread");
        var mention = await SendAsync(room, bob, $"@{ann.Username} look");
        var doomed = await SendAsync(room, bob, $"@{ann.Username} doomed");
        await Messages.DeleteAsync(room, bob, doomed.Id);

        var unread = await UnreadAsync(ann, room);
        Assert.Equal(new UnreadView(room.Id, room.Slug, first.Id, 2, 1), unread);

        await Markers.MarkReadAsync(room, ann, mention.Id);
        Assert.Equal(new UnreadView(room.Id, room.Slug, mention.Id, 0, 0), await UnreadAsync(ann, room));
    }

    [Fact]
    public async Task A_marker_only_moves_forwards_and_each_move_is_announced()
    {
        var room = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var messages = new List<MessageView>();
        for (var i = 0; i < 4; i++)
        {
            messages.Add(await SendAsync(room, bob, $"m{i}"));
        }

        var forward = await Markers.MarkReadAsync(room, ann, messages[2].Id);
        var back = await Markers.MarkReadAsync(room, ann, messages[0].Id);
        var same = await Markers.MarkReadAsync(room, ann, messages[2].Id);

        Assert.Equal(messages[2].Id, back.Value!.LastReadId);
        Assert.Equal(1, back.Value.Unread);
        Assert.Equal(forward.Value, same.Value);
        var announced = fixture.Events.Reads.Where(r => r.UserId == ann.Id && r.Unread.RoomId == room.Id).Select(r => r.Unread).ToList();
        Assert.Equal([forward.Value!], announced);
    }

    [Fact]
    public async Task Opening_a_room_starts_the_marker_at_its_newest_message_or_before_a_mention_once()
    {
        var room = await NewRoomAsync();
        var empty = await NewRoomAsync();
        var mentioning = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        await SendAsync(room, bob, "old");
        var newest = await SendAsync(room, bob, "newest");
        var mention = await SendAsync(mentioning, bob, $"@{ann.Username} before you came");
        await SendAsync(mentioning, bob, "after it");

        await Markers.FollowAsync(room, ann);
        await Markers.FollowAsync(empty, ann);
        await Markers.FollowAsync(mentioning, ann);
        var later = await SendAsync(room, bob, "later");
        await Markers.MarkReadAsync(room, ann, later.Id);
        await Markers.FollowAsync(room, ann); // a marker that exists stays where it is

        var rooms = await Markers.ListUnreadAsync(ann.Id);
        Assert.Equal(new UnreadView(room.Id, room.Slug, later.Id, 0, 0), rooms.Single(r => r.RoomId == room.Id));
        Assert.Equal(new UnreadView(empty.Id, empty.Slug, 0, 0, 0), rooms.Single(r => r.RoomId == empty.Id));
        Assert.Equal(new UnreadView(mentioning.Id, mentioning.Slug, mention.Id - 1, 2, 1), rooms.Single(r => r.RoomId == mentioning.Id));
        var announced = fixture.Events.Reads.Where(r => r.UserId == ann.Id).Select(r => r.Unread).ToList();
        Assert.Equal(new UnreadView(room.Id, room.Slug, newest.Id, 0, 0), announced[0]);
        Assert.Equal(4, announced.Count); // three rooms followed, one mark_read
    }

    [Fact]
    public async Task A_crowd_opening_a_room_at_once_gets_one_marker_each_announced_once()
    {
        // Many first joins at once share their commits (ReadMarkerCreator); each user still gets
        // exactly one marker where a lone join would start it, and one announcement, however
        // many of their tabs open the room in the same moment.
        var room = await NewRoomAsync();
        var bob = await NewUserAsync("bob");
        var users = new List<ChatUser>();
        for (var i = 0; i < 40; i++)
        {
            users.Add(await NewUserAsync("crowd"));
        }

        var mentioned = users[7];
        var mention = await SendAsync(room, bob, $"@{mentioned.Username} look");
        var newest = await SendAsync(room, bob, "newest");

        var tabs = users.SelectMany(user => new[] { user, user, user }).ToList();
        await Task.WhenAll(tabs.Select(user => Task.Run(() => Markers.FollowAsync(room, user))));

        foreach (var user in users)
        {
            var start = user == mentioned ? mention.Id - 1 : newest.Id;
            var unread = user == mentioned ? new UnreadView(room.Id, room.Slug, start, 2, 1) : new UnreadView(room.Id, room.Slug, start, 0, 0);
            Assert.Equal(unread, await UnreadAsync(user, room));
            Assert.Equal([unread], fixture.Events.Reads.Where(r => r.UserId == user.Id).Select(r => r.Unread));
        }
    }

    [Fact]
    public async Task A_marker_must_name_a_message_of_its_room()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var elsewhere = await SendAsync(other, ann, "elsewhere");

        Assert.Equal(["does not exist"], (await Markers.MarkReadAsync(room, ann, elsewhere.Id)).Errors!.ByField["id"]);
        Assert.Equal(["can't be blank"], (await Markers.MarkReadAsync(room, ann, null)).Errors!.ByField["id"]);
        Assert.Null(await UnreadAsync(ann, room));
    }

    [Fact]
    public async Task Rooms_read_or_mentioned_in_are_listed_and_an_unread_room_counts_from_its_first_mention()
    {
        var read = await NewRoomAsync();
        var mentioned = await NewRoomAsync();
        var neither = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        var bob = await NewUserAsync("bob");
        var readMessage = await SendAsync(read, bob, "read me");
        await Markers.MarkReadAsync(read, ann, readMessage.Id);
        await SendAsync(mentioned, bob, "long ago, before ann was involved");
        var firstMention = await SendAsync(mentioned, bob, $"@{ann.Username} welcome");
        await SendAsync(mentioned, bob, "and since");
        await SendAsync(neither, bob, "not for ann");

        var rooms = await Markers.ListUnreadAsync(ann.Id);

        Assert.Equal([read.Id, mentioned.Id], rooms.Select(r => r.RoomId));
        Assert.Equal(new UnreadView(mentioned.Id, mentioned.Slug, firstMention.Id - 1, 2, 1), rooms[1]);
    }

    [Fact]
    public async Task Counting_unread_reads_a_range_from_the_marker_not_the_room()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();
        var ann = await NewUserAsync("ann");
        // The room's messages interleaved with another room's, as in a busy server.
        var sent = await Task.WhenAll(Enumerable.Range(0, 4000).Select(i =>
            Messages.CreateAsync(i % 2 == 0 ? room : other, new ChatUser(ann.Id + 1, "other"), $"m{i}", null)));
        var inRoom = sent.Select(r => r.Value!.Message).Where(m => m.RoomId == room.Id).OrderBy(m => m.Id).ToList();
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        // What autovacuum does in a live database: statistics, and on PostgreSQL the visibility map that index-only scans need.
        await db.Database.ExecuteSqlRawAsync(fixture.Database.Provider == DatabaseProvider.Postgres ? "VACUUM ANALYZE messages" : "ANALYZE");

        // The unread count of ReadMarkerService, for a marker halfway through the room.
        var sql = $"SELECT COUNT(*) FROM messages m WHERE m.room_id = {room.Id} AND m.id > {inRoom[inRoom.Count / 2].Id} AND m.deleted_at IS NULL AND m.user_id <> {ann.Id}";
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = (fixture.Database.Provider == DatabaseProvider.Postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql;
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetValue(reader.FieldCount - 1).ToString()!);
            }
        }

        // A range from the marker on, never the room's whole history. SQLite reads it from the
        // timeline index alone (the author and the tombstone mark are in the entry). PostgreSQL's
        // planner picks by its statistics: the timeline index, index-only, or, when few messages
        // of any room are newer than the marker, those by primary key (seen once in 20 runs);
        // both start at the marker.
        var text = string.Join('\n', plan);
        if (fixture.Database.Provider == DatabaseProvider.Postgres)
        {
            Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
            Assert.True(text.Contains("Index Only Scan using ix_messages_room_timeline", StringComparison.Ordinal)
                || (text.Contains("Index Scan using pk_messages", StringComparison.Ordinal) && text.Contains("Index Cond: (id > ", StringComparison.Ordinal)), text);
        }
        else
        {
            Assert.Contains("COVERING INDEX ix_messages_room_timeline", text, StringComparison.Ordinal);
        }
    }
}

[Collection("sqlite")]
public sealed class SqliteReadMarkersTests(SqliteDatabaseFixture fixture) : ReadMarkersSpecification(fixture), IClassFixture<SqliteDatabaseFixture>;

[Collection("postgres")]
public sealed class PostgresReadMarkersTests(PostgresDatabaseFixture fixture) : ReadMarkersSpecification(fixture), IClassFixture<PostgresDatabaseFixture>;
