using System.Globalization;
using Chat.Accounts;
using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Chat.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests;

/// <summary>
/// The chat context's behaviour, one suite for every provider: each subclass runs it on a
/// fresh, migrated database of its own.
/// </summary>
public abstract class ChatContextSpecification(DatabaseFixture fixture)
{
    private static int s_counter;

    private RoomService Rooms => fixture.Rooms;

    private MessageService Messages => fixture.Messages;

    private AccountService Accounts => fixture.Accounts;

    private static ChatUser Ann { get; } = new(101, "ann");

    private static ChatUser Bob { get; } = new(102, "bob");

    private static string Unique(string stem) =>
        string.Create(CultureInfo.InvariantCulture, $"{stem} {Interlocked.Increment(ref s_counter)} {Guid.NewGuid().ToString("N")[..12]}");

    private async Task<RoomView> NewRoomAsync(string? name = null)
    {
        var result = await Rooms.CreateAsync(name ?? Unique("Room"), null);
        Assert.True(result.IsOk, result.Errors?.ToString());
        return result.Value!;
    }

    /// <summary>Every room, read a page at a time as a client would.</summary>
    private async Task<List<RoomView>> AllRoomsAsync(int? limit = null)
    {
        var all = new List<RoomView>();
        string? after = null;
        while (true)
        {
            var page = await Rooms.ListAsync(new RoomListRequest(after, limit));
            Assert.True(page.IsOk, page.Errors?.ToString());
            all.AddRange(page.Value!.Rooms);
            if (!page.Value.HasMore)
            {
                return all;
            }

            Assert.Equal(limit ?? 100, page.Value.Rooms.Count);
            after = page.Value.Rooms[^1].Slug;
        }
    }

    private async Task<MessageView> SendAsync(RoomView room, string content, ChatUser? author = null, string? clientId = null)
    {
        var result = await Messages.CreateAsync(room, author ?? Ann, content, clientId);
        Assert.True(result.IsOk, result.Errors?.ToString() ?? result.Failure);
        return result.Value!.Message;
    }

    private async Task<IReadOnlyList<MessageView>> HistoryAsync(RoomView room) => (await ListAsync(room.Id, new HistoryRequest())).Messages;

    private async Task<HistoryPage> ListAsync(long roomId, HistoryRequest request)
    {
        var result = await Messages.ListAsync(roomId, request);
        Assert.True(result.IsOk, result.Errors?.ToString());
        return result.Value!;
    }

    private static IReadOnlyList<string> ErrorsOf<T>(ChatResult<T> result, string field)
    {
        Assert.False(result.IsOk);
        Assert.NotNull(result.Errors);
        return result.Errors.ByField.TryGetValue(field, out var messages) ? messages : [];
    }

    // --- Schema -----------------------------------------------------------------------

    [Fact]
    public async Task Every_model_change_is_covered_by_a_migration()
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();

        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes that no migration covers: add a migration for this provider.");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task The_seed_migrations_come_first_and_every_addition_has_its_own()
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();

        var names = (await db.Database.GetAppliedMigrationsAsync()).Select(m => m[(m.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();

        string[] shared =
            ["CreateChatRooms", "CreateChatMessages", "MakeRoomSlugsUniqueAndRequired", "AddMessageRoomForeignKey", "AddMessageHistoryIndex", "CreateUsers", "AddMessageClientId", "ReorderMessageClientIdIndex",
             "AddMessageEditsReactionsAndRevisions", "AddMentionsAndReadMarkers", "AddMessageSearch"];
        // Tuning that only one provider needs is in that provider's set alone, in time order.
        string[] ownTuning = fixture.Database.Provider == DatabaseProvider.Postgres ? ["TuneSearchStatistics"] : [];

        Assert.Equal([.. shared, "WidenRoomNamesToTheirByteCap", .. ownTuning, "AddTokenRevocations", "MergeRoomTimelineIndexes"], names);
    }

    [Fact]
    public async Task The_tables_have_the_seeds_columns()
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();

        // Each statement fails if a column is missing.
        await db.Database.ExecuteSqlRawAsync("SELECT id, name, description, slug, inserted_at, updated_at FROM rooms WHERE 1 = 0");
        await db.Database.ExecuteSqlRawAsync("SELECT id, content, user_id, username, room_id, client_id, inserted_at, updated_at FROM messages WHERE 1 = 0");
        await db.Database.ExecuteSqlRawAsync("SELECT id, username, normalized_username, password_hash, inserted_at, updated_at FROM users WHERE 1 = 0");
    }

    // --- Rooms and slugs --------------------------------------------------------------

    [Fact]
    public async Task The_lobby_is_created_once()
    {
        await Rooms.EnsureLobbyAsync();
        await Rooms.EnsureLobbyAsync();

        var lobby = await Rooms.FindAsync("lobby");
        Assert.NotNull(lobby);
        Assert.Equal("Lobby", lobby.Name);
        Assert.Single(await AllRoomsAsync(), r => r.Slug == "lobby");
    }

    [Fact]
    public async Task A_room_found_again_is_the_same_view_until_it_changes()
    {
        var room = await NewRoomAsync();

        var first = await Rooms.FindAsync(room.Slug);
        var again = await Rooms.FindAsync(room.Slug);
        Assert.Same(first, again);

        var renamed = await Rooms.RenameAsync(room.Slug, Unique("Renamed"));
        Assert.True(renamed.IsOk, renamed.Errors?.ToString());
        var afterRename = await Rooms.FindAsync(room.Slug);
        Assert.NotSame(first, afterRename);
        Assert.Equal(renamed.Value!.Name, afterRename!.Name);
        Assert.Equal(first!.Name, room.Name);
    }

    [Fact]
    public async Task Slugs_fold_accents_and_clashes_get_numbered()
    {
        var stem = "Café Crème " + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var expected = Slug.From(stem);

        var first = await NewRoomAsync(stem + "!");
        var second = await NewRoomAsync(stem);
        var third = await NewRoomAsync("  " + stem + " ?? ");

        Assert.StartsWith("cafe-creme-", first.Slug, StringComparison.Ordinal);
        Assert.Equal(expected, first.Slug);
        Assert.Equal(expected + "-2", second.Slug);
        Assert.Equal(expected + "-3", third.Slug);
        Assert.Equal(stem + "!", first.Name);
    }

    [Fact]
    public async Task A_name_with_nothing_left_for_a_slug_gets_room_n()
    {
        var first = await NewRoomAsync("!!!");
        var second = await NewRoomAsync("日本語");

        Assert.Matches("^room-[0-9]+$", first.Slug);
        Assert.Matches("^room-[0-9]+$", second.Slug);
        Assert.NotEqual(first.Slug, second.Slug);
    }

    [Fact]
    public async Task Concurrent_rooms_with_one_name_all_get_distinct_slugs()
    {
        var name = Unique("Race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Rooms.CreateAsync(name, null)));

        Assert.All(results, r => Assert.True(r.IsOk));
        Assert.Equal(8, results.Select(r => r.Value!.Slug).Distinct().Count());
    }

    [Fact]
    public async Task Concurrent_rooms_with_one_name_on_two_nodes_all_get_distinct_slugs()
    {
        // A second node: its own service on the same database, so nothing in memory is shared
        // and only the database's unique slug keeps the two apart.
        var otherNode = new RoomService(fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>(), [], TimeProvider.System);
        var name = Unique("Race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? Rooms : otherNode).CreateAsync(name, null)));

        Assert.All(results, r => Assert.True(r.IsOk));
        Assert.Equal(8, results.Select(r => r.Value!.Slug).Distinct().Count());
        Assert.Contains(results, r => r.Value!.Slug == Slug.From(name));
    }

    [Theory]
    [InlineData(null, "can't be blank")]
    [InlineData("   ", "can't be blank")]
    public async Task Room_names_must_not_be_blank(string? name, string error) =>
        Assert.Equal([error], ErrorsOf(await Rooms.CreateAsync(name, null), "name"));

    [Fact]
    public async Task Room_names_and_descriptions_have_limits()
    {
        var tooLong = await Rooms.CreateAsync(new string('n', 81), new string('d', 1001));
        var atLimit = await Rooms.CreateAsync("  " + new string('n', 79) + "x  ", new string('d', 1000));

        Assert.Equal(["should be at most 80 character(s)"], ErrorsOf(tooLong, "name"));
        Assert.Equal(["should be at most 1000 character(s)"], ErrorsOf(tooLong, "description"));
        Assert.True(atLimit.IsOk);
        Assert.Equal(80, atLimit.Value!.Name.Length);
    }

    [Fact]
    public async Task Rooms_list_in_name_order_and_creation_is_published()
    {
        var zed = await NewRoomAsync("zz " + Guid.NewGuid());
        var alpha = await NewRoomAsync("AA " + Guid.NewGuid());

        var names = (await AllRoomsAsync()).Select(r => r.Name).ToList();

        Assert.True(names.IndexOf(alpha.Name) < names.IndexOf(zed.Name));
        Assert.Contains(fixture.Events.Rooms, r => r.Id == alpha.Id);
    }

    [Fact]
    public async Task The_room_list_pages_by_name_without_regard_to_case_then_by_id()
    {
        var stem = Unique("Paging");
        // Created out of order; two pairs whose names differ only in case, which their ids order.
        foreach (var suffix in new[] { " b", " A", " c", " a", " B" })
        {
            await NewRoomAsync((suffix.Trim() is "A" ? stem.ToUpperInvariant() : suffix.Trim() is "a" ? stem.ToLowerInvariant() : stem) + suffix);
        }

        var all = await AllRoomsAsync(limit: 2);

        var ours = all.Where(r => r.Name.StartsWith(stem, StringComparison.OrdinalIgnoreCase)).Select(r => r.Name);
        Assert.Equal([stem.ToUpperInvariant() + " A", stem.ToLowerInvariant() + " a", stem + " b", stem + " B", stem + " c"], ours);
        Assert.Equal(all.Count, all.Select(r => r.Id).Distinct().Count());
        Assert.Equal(all.Select(r => r.Id), (await AllRoomsAsync(limit: 200)).Select(r => r.Id));
    }

    [Fact]
    public async Task A_room_created_while_a_client_pages_shifts_nothing_it_has_read()
    {
        var stem = Unique("Shift");
        await NewRoomAsync(stem + " 1");
        await NewRoomAsync(stem + " 3");
        var firstPage = (await Rooms.ListAsync(new RoomListRequest(Limit: 200))).Value!;
        var anchor = firstPage.Rooms.Single(r => r.Name == stem + " 1");

        await NewRoomAsync(stem + " 0");
        await NewRoomAsync(stem + " 2");
        var next = (await Rooms.ListAsync(new RoomListRequest(anchor.Slug, 2))).Value!;

        Assert.Equal([stem + " 2", stem + " 3"], next.Rooms.Select(r => r.Name));
    }

    [Theory]
    [InlineData(0, "must be greater than or equal to 1")]
    [InlineData(201, "must be less than or equal to 200")]
    public async Task Room_list_pages_hold_1_to_200_rooms(int limit, string error) =>
        Assert.Equal([error], ErrorsOf(await Rooms.ListAsync(new RoomListRequest(Limit: limit)), "limit"));

    [Fact]
    public async Task A_page_after_an_unknown_room_is_a_field_error() =>
        Assert.Equal([ErrorMessages.DoesNotExist], ErrorsOf(await Rooms.ListAsync(new RoomListRequest("no-such-room")), "after"));

    // --- Messages ---------------------------------------------------------------------

    [Fact]
    public async Task Messages_are_trimmed_stamped_in_utc_and_published()
    {
        var room = await NewRoomAsync();
        var before = DateTime.UtcNow.AddSeconds(-1);

        var message = await SendAsync(room, "  hello there  ", Bob);

        Assert.Equal("hello there", message.Content);
        Assert.Equal((Bob.Id, Bob.Username, room.Id), (message.UserId, message.Username, message.RoomId));
        Assert.Equal(DateTimeKind.Utc, message.InsertedAt.Kind);
        Assert.InRange(message.InsertedAt, before, DateTime.UtcNow.AddSeconds(1));
        var stored = Assert.Single((await HistoryAsync(room)));
        Assert.Equal(message, stored);
        Assert.Contains(fixture.Events.Messages, m => m.Id == message.Id);
    }

    [Theory]
    [InlineData("", "can't be blank")]
    [InlineData(" \n\t ", "can't be blank")]
    public async Task Message_content_must_not_be_blank(string content, string error)
    {
        var room = await NewRoomAsync();

        Assert.Equal([error], ErrorsOf(await Messages.CreateAsync(room, Ann, content, null), "content"));
    }

    [Fact]
    public async Task Message_content_is_limited_to_4000_characters_as_people_count_them()
    {
        var room = await NewRoomAsync();
        var decomposedE = "e\u0301"; // one character on screen, two code points

        var tooLong = await Messages.CreateAsync(room, Ann, new string('x', 4001), null);
        var atLimit = await Messages.CreateAsync(room, Ann, string.Concat(Enumerable.Repeat(decomposedE, 4000)), null);

        Assert.Equal(["should be at most 4000 character(s)"], ErrorsOf(tooLong, "content"));
        Assert.True(atLimit.IsOk);
    }

    [Fact]
    public async Task Client_ids_are_limited_to_64_characters()
    {
        var room = await NewRoomAsync();

        var result = await Messages.CreateAsync(room, Ann, "hi", new string('c', 65));

        Assert.Equal(["should be at most 64 character(s)"], ErrorsOf(result, "client_id"));
    }

    [Fact]
    public async Task A_repeated_client_id_returns_the_first_message_even_under_concurrent_retries()
    {
        var room = await NewRoomAsync();
        var published = fixture.Events.Messages.Count(m => m.RoomId == room.Id);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Messages.CreateAsync(room, Ann, $"attempt {i}", "retry-me")));

        Assert.All(results, r => Assert.True(r.IsOk));
        var ids = results.Select(r => r.Value!.Message.Id).Distinct().ToList();
        Assert.Single(ids);
        Assert.Single(results, r => r.Value!.Created);
        Assert.All(results, r => Assert.Equal(results.Single(x => x.Value!.Created).Value!.Message.Content, r.Value!.Message.Content));
        Assert.Single((await HistoryAsync(room)));
        Assert.Equal(published + 1, fixture.Events.Messages.Count(m => m.RoomId == room.Id));

        var later = await Messages.CreateAsync(room, Ann, "much later", "retry-me");
        Assert.False(later.Value!.Created);
        Assert.Equal(ids[0], later.Value.Message.Id);
    }

    [Fact]
    public async Task A_client_id_is_scoped_to_its_user_and_room()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();

        var ann = await SendAsync(room, "a", Ann, "same");
        var bob = await SendAsync(room, "b", Bob, "same");
        var elsewhere = await SendAsync(other, "c", Ann, "same");

        Assert.Equal(3, new[] { ann.Id, bob.Id, elsewhere.Id }.Distinct().Count());
    }

    [Fact]
    public async Task Concurrent_senders_share_transactions()
    {
        var room = await NewRoomAsync();
        var writer = fixture.Services.GetRequiredService<MessageWriter>();
        var batchesBefore = writer.BatchesCommitted;

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Messages.CreateAsync(room, Ann, $"m{i}", null)));

        Assert.All(results, r => Assert.True(r.IsOk));
        Assert.Equal(300, results.Select(r => r.Value!.Message.Id).Distinct().Count());
        Assert.InRange(writer.BatchesCommitted - batchesBefore, 1, 150);
    }

    [Fact]
    public async Task One_bad_message_in_a_batch_fails_alone()
    {
        var room = await NewRoomAsync();
        var vanished = room with { Id = long.MaxValue - 7, Slug = "vanished" };
        var writer = fixture.Services.GetRequiredService<MessageWriter>();
        var splitsBefore = writer.BatchesSplit;

        // Queue enough good messages around the bad one that they share its batch.
        var sends = Enumerable.Range(0, 200)
            .Select(i => i == 100
                ? Messages.CreateAsync(vanished, Ann, "to a room that is gone", null)
                : Messages.CreateAsync(room, Ann, $"good {i}", null))
            .ToList();
        var results = await Task.WhenAll(sends);

        Assert.Equal(["does not exist"], ErrorsOf(results[100], "room"));
        Assert.Equal(199, results.Count(r => r.IsOk));
        Assert.Equal(199, (await Messages.CatchUpAsync(room.Id, 0)).Messages.Count);
        // Left out inside its batch's transaction: the good ones never went again.
        Assert.Equal(splitsBefore, writer.BatchesSplit);
    }

    [Fact]
    public async Task Messages_are_published_in_id_order()
    {
        var room = await NewRoomAsync();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Messages.CreateAsync(room, i % 2 == 0 ? Ann : Bob, $"m{i}", null)));

        var published = fixture.Events.Messages.Where(m => m.RoomId == room.Id).Select(m => m.Id).ToList();
        Assert.Equal(100, published.Count);
        Assert.Equal(published.Order().ToList(), published);
    }

    [Fact]
    public async Task The_caller_recognises_its_own_send_by_the_origin_it_passed()
    {
        var room = await NewRoomAsync();
        var origin = new object();

        var first = await Messages.CreateAsync(room, Ann, "mine", "origin-1", origin);
        var repeat = await Messages.CreateAsync(room, Ann, "mine", "origin-1", origin);

        var announced = fixture.Events.Stored.Where(s => ReferenceEquals(s.Origin, origin)).ToList();
        Assert.Equal(2, announced.Count);
        Assert.All(announced, s => Assert.Equal(first.Value!.Message.Id, s.Message.Id));
        Assert.Equal(room.Slug, announced[0].RoomSlug);
        // The repeat is answered to its sender, but only the first may be broadcast.
        Assert.Equal([true, false], announced.Select(s => s.Created));
        Assert.False(repeat.Value!.Created);
    }

    [Fact]
    public async Task Invalid_input_is_returned_to_the_caller_and_never_announced_or_stored()
    {
        var room = await NewRoomAsync();
        var origin = new object();

        var result = await Messages.CreateAsync(room, Ann, " ", null, origin);

        Assert.Equal(["can't be blank"], ErrorsOf(result, "content"));
        Assert.DoesNotContain(fixture.Events.Stored, s => ReferenceEquals(s.Origin, origin));
        Assert.Empty((await HistoryAsync(room)));
    }

    [Fact]
    public async Task The_writer_keeps_committing_while_announcing_is_held_up()
    {
        var room = await NewRoomAsync();
        fixture.Events.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // Each send completes only once announced, and announcing is stuck; yet every
            // one of them must reach the database, one commit after another.
            var sends = Enumerable.Range(0, 5).Select(i => Messages.CreateAsync(room, Ann, $"held {i}", null)).ToList();
            await WaitUntilAsync(async () => (await HistoryAsync(room)).Count == 5);
            Assert.All(sends, send => Assert.False(send.IsCompleted));

            fixture.Events.Gate.SetResult();
            var results = await Task.WhenAll(sends);
            Assert.All(results, r => Assert.True(r.IsOk));
        }
        finally
        {
            fixture.Events.Gate?.TrySetResult();
            fixture.Events.Gate = null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20);
        }
    }

    // --- History ----------------------------------------------------------------------

    [Fact]
    public async Task History_of_an_empty_room_is_empty()
    {
        var room = await NewRoomAsync();

        var page = await ListAsync(room.Id, new HistoryRequest());

        Assert.Empty(page.Messages);
        Assert.False(page.HasMore);
    }

    [Theory]
    [InlineData(0, "must be greater than or equal to 1")]
    [InlineData(101, "must be less than or equal to 100")]
    public async Task History_pages_hold_1_to_100_messages(int limit, string error)
    {
        var room = await NewRoomAsync();

        Assert.Equal([error], ErrorsOf(await Messages.ListAsync(room.Id, new HistoryRequest(Limit: limit)), "limit"));
    }

    [Fact]
    public async Task Catching_up_returns_at_most_500_and_says_more_are_missing()
    {
        var room = await NewRoomAsync();
        await Task.WhenAll(Enumerable.Range(0, 502).Select(i => Messages.CreateAsync(room, Ann, $"m{i}", null)));

        var page = await Messages.CatchUpAsync(room.Id, 0);

        Assert.Equal(500, page.Messages.Count);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task History_with_exactly_limit_messages_has_no_more_and_one_more_has_more()
    {
        var room = await NewRoomAsync();
        var sent = new List<MessageView>();
        for (var i = 0; i < 10; i++)
        {
            sent.Add(await SendAsync(room, $"m{i}"));
        }

        var exact = await ListAsync(room.Id, new HistoryRequest(Limit: 10));
        var short1 = await ListAsync(room.Id, new HistoryRequest(Limit: 9));

        Assert.Equal(sent.Select(m => m.Id), exact.Messages.Select(m => m.Id));
        Assert.False(exact.HasMore);
        Assert.Equal(sent.Skip(1).Select(m => m.Id), short1.Messages.Select(m => m.Id));
        Assert.True(short1.HasMore);
    }

    [Fact]
    public async Task History_pages_backwards_without_gaps_or_duplicates_and_ends_before_the_first_id()
    {
        var room = await NewRoomAsync();
        var sent = new List<long>();
        for (var i = 0; i < 23; i++)
        {
            sent.Add((await SendAsync(room, $"m{i}")).Id);
        }

        var seen = new List<long>();
        long? before = null;
        bool hasMore;
        do
        {
            var page = await ListAsync(room.Id, new HistoryRequest(BeforeId: before, Limit: 5));
            seen.InsertRange(0, page.Messages.Select(m => m.Id));
            before = page.Messages.FirstOrDefault()?.Id;
            hasMore = page.HasMore;
        }
        while (hasMore);

        Assert.Equal(sent, seen);
        var beforeFirst = await ListAsync(room.Id, new HistoryRequest(BeforeId: sent[0]));
        Assert.Empty(beforeFirst.Messages);
        Assert.False(beforeFirst.HasMore);
    }

    [Fact]
    public async Task Catching_up_after_an_id_returns_exactly_what_followed_it_in_order()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();
        var sent = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            sent.Add((await SendAsync(room, $"m{i}")).Id);
            await SendAsync(other, "noise");
        }

        var lastSeen = sent[9];
        var missed = await Messages.CatchUpAsync(room.Id, lastSeen);
        var partial = await ListAsync(room.Id, new HistoryRequest(AfterId: lastSeen, Limit: 20));

        Assert.Equal(sent.Skip(10), missed.Messages.Select(m => m.Id));
        Assert.False(missed.HasMore);
        Assert.Equal(sent.Skip(10).Take(20), partial.Messages.Select(m => m.Id));
        Assert.True(partial.HasMore);
    }

    // --- Users ------------------------------------------------------------------------

    [Fact]
    public async Task Passwords_are_stored_as_salted_slow_hashes_and_verified()
    {
        var name = "user" + Guid.NewGuid().ToString("N")[..8];
        var registered = await Accounts.RegisterAsync(name, "correct horse");
        var twin = await Accounts.RegisterAsync(name + "2", "correct horse");

        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        var hashes = await db.Users.Where(u => u.Id == registered.Value!.Id || u.Id == twin.Value!.Id).Select(u => u.PasswordHash).ToListAsync();
        Assert.Equal(2, hashes.Count);
        Assert.All(hashes, h => Assert.DoesNotContain("correct horse", h, StringComparison.Ordinal));
        Assert.NotEqual(hashes[0], hashes[1]); // salted
        Assert.All(hashes, h => Assert.Equal(0x01, Convert.FromBase64String(h)[0])); // Identity's V3 format: PBKDF2 with HMAC-SHA512

        Assert.Equal(registered.Value!.Id, (await Accounts.VerifyPasswordAsync(name.ToUpperInvariant(), "correct horse"))?.Id);
        Assert.Null(await Accounts.VerifyPasswordAsync(name, "wrong horse"));
        Assert.Null(await Accounts.VerifyPasswordAsync("nobody" + name, "correct horse"));
    }

    [Fact]
    public async Task Sign_in_applies_the_registration_rules_before_hashing()
    {
        Assert.Null(await Accounts.VerifyPasswordAsync(new string('a', 33), "password1"));
        Assert.Null(await Accounts.VerifyPasswordAsync("bad name!", "password1"));
        Assert.Null(await Accounts.VerifyPasswordAsync("validname", "short"));
    }

    [Fact]
    public async Task Usernames_are_unique_without_regard_to_case()
    {
        var name = "Case" + Guid.NewGuid().ToString("N")[..8];
        Assert.True((await Accounts.RegisterAsync(name, "password1")).IsOk);

        var clash = await Accounts.RegisterAsync(name.ToLowerInvariant(), "password2");

        Assert.Equal(["has already been taken"], ErrorsOf(clash, "username"));
    }

    [Theory]
    [InlineData("ab", "password1", "username", "should be at least 3 character(s)")]
    [InlineData("this-name-is-far-too-long-for-us-x", "password1", "username", "should be at most 32 character(s)")]
    [InlineData("bad name!", "password1", "username", "has invalid format")]
    [InlineData("ünïcode", "password1", "username", "has invalid format")]
    [InlineData(null, "password1", "username", "can't be blank")]
    [InlineData("validname", "short", "password", "should be at least 8 character(s)")]
    [InlineData("validname", "", "password", "can't be blank")]
    [InlineData("validname", "\U0001F600\U0001F600\U0001F600\U0001F600", "password", "should be at least 8 character(s)")]
    public async Task Registration_explains_what_is_wrong(string? username, string password, string field, string error) =>
        Assert.Contains(error, ErrorsOf(await Accounts.RegisterAsync(username, password), field));
}

[Collection("sqlite")]
public sealed class SqliteChatContextTests(SqliteDatabaseFixture fixture) : ChatContextSpecification(fixture), IClassFixture<SqliteDatabaseFixture>;

[Collection("postgres")]
public sealed class PostgresChatContextTests(PostgresDatabaseFixture fixture) : ChatContextSpecification(fixture), IClassFixture<PostgresDatabaseFixture>;
