using Chat.Messages;
using Chat.Persistence;
using Chat.Reactions;
using Chat.Rooms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests;

/// <summary>
/// Edits, deletes, reactions and revisions (CONTRACT.md §4), one suite for every provider.
/// </summary>
public abstract class MessageChangesSpecification(DatabaseFixture fixture)
{
    private static ChatUser Ann { get; } = new(201, "ann");

    private static ChatUser Bob { get; } = new(202, "bob");

    private MessageService Messages => fixture.Messages;

    private ReactionService Reactions => fixture.Reactions;

    private async Task<RoomView> NewRoomAsync() =>
        (await fixture.Rooms.CreateAsync("Changes " + Guid.NewGuid().ToString("N")[..12], null)).Value!;

    private async Task<MessageView> SendAsync(RoomView room, string content, ChatUser? author = null)
    {
        var result = await Messages.CreateAsync(room, author ?? Ann, content, null);
        Assert.True(result.IsOk, result.Errors?.ToString() ?? result.Failure);
        return result.Value!.Message;
    }

    private async Task<IReadOnlyList<MessageView>> HistoryAsync(RoomView room) =>
        (await Messages.ListAsync(room.Id, new HistoryRequest())).Value!.Messages;

    private static MessageChange Ok(ChatResult<MessageChange> result)
    {
        Assert.True(result.IsOk, $"{result.Errors} {result.Refusal} {result.Failure}");
        return result.Value!;
    }

    private static IReadOnlyList<string> ErrorsOf<T>(ChatResult<T> result, string field)
    {
        Assert.NotNull(result.Errors);
        return result.Errors.ByField.TryGetValue(field, out var messages) ? messages : [];
    }

    private static string Show(MessageReactions reactions) =>
        string.Join(' ', reactions.Entries.Select(e => e.Emoji + ":" + string.Join(',', e.UserIds)));

    private bool Announced(MessageChange change) => fixture.Events.Changes.Any(c => ReferenceEquals(c, change));

    // --- Edits ------------------------------------------------------------------------

    [Fact]
    public async Task The_author_edits_a_message_which_gets_edited_at_and_a_new_revision_and_is_announced()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "helo");
        var later = await SendAsync(room, "later", Bob);

        var edit = Ok(await Messages.EditAsync(room, Ann, message.Id, "  hello  "));

        Assert.True(edit.Changed);
        Assert.Equal(MessageChangeKind.Edited, edit.Kind);
        Assert.Equal("hello", edit.Message.Content);
        Assert.NotNull(edit.Message.EditedAt);
        Assert.Equal(message.Rev, message.Id);
        Assert.True(edit.Message.Rev > later.Id, "a change's revision follows every id given out before it");
        Assert.True(Announced(edit));
        var stored = (await HistoryAsync(room))[0];
        Assert.Equal(edit.Message, stored);
        var next = await SendAsync(room, "after the edit");
        Assert.True(next.Id > edit.Message.Rev, "an id given out after a change follows its revision");
    }

    [Fact]
    public async Task Only_the_author_may_edit_and_unknown_messages_tombstones_and_other_rooms_are_not_found()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();
        var message = await SendAsync(room, "mine");
        var gone = await SendAsync(room, "gone");
        Ok(await Messages.DeleteAsync(room, Ann, gone.Id));

        Assert.Equal(ChatRefusal.Forbidden, (await Messages.EditAsync(room, Bob, message.Id, "hijacked")).Refusal);
        Assert.Equal(ChatRefusal.NotFound, (await Messages.EditAsync(room, Ann, long.MaxValue - 1, "x")).Refusal);
        Assert.Equal(ChatRefusal.NotFound, (await Messages.EditAsync(other, Ann, message.Id, "x")).Refusal);
        Assert.Equal(ChatRefusal.NotFound, (await Messages.EditAsync(room, Ann, gone.Id, "back")).Refusal);
        Assert.Equal(["can't be blank"], ErrorsOf(await Messages.EditAsync(room, Ann, message.Id, " "), "content"));
        Assert.Equal(["can't be blank"], ErrorsOf(await Messages.EditAsync(room, Ann, null, "x"), "id"));
        Assert.Equal("mine", (await HistoryAsync(room))[0].Content);
    }

    [Fact]
    public async Task An_edit_to_the_same_text_succeeds_and_changes_nothing()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "same");

        var edit = Ok(await Messages.EditAsync(room, Ann, message.Id, "same"));

        Assert.False(edit.Changed);
        Assert.Equal(message, edit.Message);
        Assert.False(Announced(edit));
    }

    // --- Deletes ----------------------------------------------------------------------

    [Fact]
    public async Task Deleting_leaves_a_tombstone_in_history_and_deleting_again_is_ok()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "regret");
        Ok(await Reactions.ReactAsync(room, Bob, message.Id, "👍"));

        var deleted = Ok(await Messages.DeleteAsync(room, Ann, message.Id));
        var again = Ok(await Messages.DeleteAsync(room, Ann, message.Id));

        Assert.True(deleted.Changed);
        Assert.True(Announced(deleted));
        var tombstone = Assert.Single(await HistoryAsync(room));
        Assert.True(tombstone.Deleted);
        Assert.Equal("", tombstone.Content);
        Assert.True(tombstone.Reactions.IsEmpty);
        Assert.Equal(deleted.Message.Rev, tombstone.Rev);
        Assert.False(again.Changed);
        Assert.Equal(deleted.Message.Rev, again.Message.Rev);
        Assert.Equal(ChatRefusal.Forbidden, (await Messages.DeleteAsync(room, Bob, message.Id)).Refusal);
        Assert.Equal(ChatRefusal.NotFound, (await Messages.DeleteAsync(room, Ann, long.MaxValue - 2)).Refusal);
    }

    // --- Reactions --------------------------------------------------------------------

    [Fact]
    public async Task Reactions_map_emoji_to_users_in_reaction_order_and_are_idempotent()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "react to me");

        Ok(await Reactions.ReactAsync(room, Bob, message.Id, "👍"));
        Ok(await Reactions.ReactAsync(room, Ann, message.Id, "🎉"));
        var third = Ok(await Reactions.ReactAsync(room, Ann, message.Id, "👍"));
        var repeat = Ok(await Reactions.ReactAsync(room, Ann, message.Id, "👍"));

        Assert.Equal("👍:202,201 🎉:201", Show(third.Message.Reactions));
        Assert.False(repeat.Changed);
        Assert.False(Announced(repeat));
        Assert.Equal(third.Message.Rev, repeat.Message.Rev);
        Assert.Equal(third.Message.Reactions, (await HistoryAsync(room))[0].Reactions);

        var removed = Ok(await Reactions.UnreactAsync(room, Bob, message.Id, "👍"));
        var last = Ok(await Reactions.UnreactAsync(room, Ann, message.Id, "🎉"));
        var nothing = Ok(await Reactions.UnreactAsync(room, Ann, message.Id, "🎉"));

        Assert.Equal("👍:201 🎉:201", Show(removed.Message.Reactions));
        Assert.Equal("👍:201", Show(last.Message.Reactions));
        Assert.True(removed.Message.Rev > third.Message.Rev && last.Message.Rev > removed.Message.Rev);
        Assert.False(nothing.Changed);
        Assert.True(Announced(last));
    }

    [Fact]
    public async Task A_message_holds_at_most_20_distinct_emoji()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "so many");
        var emoji = Enumerable.Range(0, 21).Select(i => char.ConvertFromUtf32(0x1F600 + i)).ToList();
        foreach (var e in emoji.Take(20))
        {
            Ok(await Reactions.ReactAsync(room, Bob, message.Id, e));
        }

        var twentyFirst = await Reactions.ReactAsync(room, Bob, message.Id, emoji[20]);
        var existing = await Reactions.ReactAsync(room, Ann, message.Id, emoji[0]);

        Assert.Equal(["should have at most 20 item(s)"], ErrorsOf(twentyFirst, "emoji"));
        Assert.True(existing.IsOk);
        Assert.Equal(20, (await HistoryAsync(room))[0].Reactions.Entries.Count);
    }

    [Theory]
    [InlineData("", "can't be blank")]
    [InlineData("ab", "has invalid format")]
    [InlineData(" ", "has invalid format")]
    [InlineData("\u0007", "has invalid format")]
    [InlineData("👍👍", "has invalid format")]
    public async Task An_emoji_is_one_grapheme_of_at_most_32_bytes(string emoji, string error)
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "picky");

        Assert.Equal([error], ErrorsOf(await Reactions.ReactAsync(room, Bob, message.Id, emoji), "emoji"));
    }

    [Fact]
    public async Task One_grapheme_made_of_several_code_points_is_one_emoji()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "family");
        var family = "👨‍👩‍👧‍👦"; // 25 bytes, one grapheme
        var tooBig = "🏴󠁧󠁢󠁳󠁣󠁴󠁿" + "\u200d🏳️‍🌈"; // one cluster? over 32 bytes either way

        Ok(await Reactions.ReactAsync(room, Bob, message.Id, family));

        Assert.Equal([202L], (await HistoryAsync(room))[0].Reactions.UsersOf(family));
        Assert.Equal(["has invalid format"], ErrorsOf(await Reactions.ReactAsync(room, Bob, message.Id, tooBig), "emoji"));
    }

    [Fact]
    public async Task Reacting_to_a_tombstone_or_an_unknown_message_is_not_found()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "short-lived");
        Ok(await Messages.DeleteAsync(room, Ann, message.Id));

        Assert.Equal(ChatRefusal.NotFound, (await Reactions.ReactAsync(room, Bob, message.Id, "👍")).Refusal);
        Assert.Equal(ChatRefusal.NotFound, (await Reactions.UnreactAsync(room, Bob, long.MaxValue - 3, "👍")).Refusal);
    }

    // --- Revisions and catching up ----------------------------------------------------

    [Fact]
    public async Task Revisions_increase_across_creations_and_changes_in_commit_order()
    {
        var room = await NewRoomAsync();
        var messages = new List<MessageView>();
        for (var i = 0; i < 5; i++)
        {
            messages.Add(await SendAsync(room, $"m{i}"));
        }

        var revs = new List<long>();
        foreach (var message in messages)
        {
            revs.Add(Ok(await Reactions.ReactAsync(room, Bob, message.Id, "👀")).Message.Rev);
            revs.Add((await SendAsync(room, "between")).Rev);
            revs.Add(Ok(await Messages.EditAsync(room, Ann, message.Id, "edited " + message.Content)).Message.Rev);
        }

        Assert.Equal(revs.Order().Distinct(), revs);
        Assert.True(revs[0] > messages[^1].Rev);
    }

    [Fact]
    public async Task A_change_is_announced_after_its_message_even_when_queued_right_behind_it()
    {
        var room = await NewRoomAsync();

        var changes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var message = await SendAsync(room, $"m{i}", i % 2 == 0 ? Ann : Bob);
            return Ok(await Reactions.ReactAsync(room, Ann, message.Id, "✅"));
        }));

        var order = fixture.Events.InOrder.ToList();
        foreach (var change in changes)
        {
            var created = order.FindIndex(e => e is StoredMessage s && s.Created && s.Message.Id == change.Message.Id);
            var changed = order.FindIndex(e => e is MessageChange c && c.Message.Id == change.Message.Id);
            Assert.InRange(created, 0, changed - 1);
        }
    }

    [Fact]
    public async Task Catching_up_returns_the_older_messages_changed_after_last_rev_oldest_change_first()
    {
        var room = await NewRoomAsync();
        var sent = new List<MessageView>();
        for (var i = 0; i < 6; i++)
        {
            sent.Add(await SendAsync(room, $"m{i}"));
        }

        var early = Ok(await Reactions.ReactAsync(room, Bob, sent[0].Id, "👍"));
        var lastSeen = sent[4].Id;
        var lastRev = early.Message.Rev;
        Ok(await Messages.EditAsync(room, Ann, sent[3].Id, "m3 edited"));
        Ok(await Messages.DeleteAsync(room, Ann, sent[1].Id));
        Ok(await Messages.EditAsync(room, Ann, sent[5].Id, "m5 edited, after last_seen_id"));
        var newer = await SendAsync(room, "new");

        var catchUp = await Messages.CatchUpAsync(room.Id, lastSeen, lastRev);
        var withoutRev = await Messages.CatchUpAsync(room.Id, lastSeen);

        Assert.Equal([sent[3].Id, sent[1].Id], catchUp.Changed!.Select(m => m.Id));
        Assert.True(catchUp.Changed![1].Deleted);
        Assert.False(catchUp.ChangedMore);
        Assert.Equal([sent[5].Id, newer.Id], catchUp.Messages.Select(m => m.Id));
        Assert.Equal("m5 edited, after last_seen_id", catchUp.Messages[0].Content);
        Assert.Null(withoutRev.Changed);
        Assert.Null(withoutRev.ChangedMore);
    }

    [Fact]
    public async Task Catching_up_on_more_than_500_changes_says_more_are_missing()
    {
        var room = await NewRoomAsync();
        var message = await SendAsync(room, "popular");
        var before = message.Rev;
        var others = await Task.WhenAll(Enumerable.Range(0, 501).Select(i => Messages.CreateAsync(room, Bob, $"o{i}", null)));
        var lastSeen = others.Max(r => r.Value!.Message.Id);

        await Task.WhenAll(others.Select(r => Reactions.ReactAsync(room, Ann, r.Value!.Message.Id, "👍")));
        var catchUp = await Messages.CatchUpAsync(room.Id, lastSeen, before);

        Assert.Equal(500, catchUp.Changed!.Count);
        Assert.True(catchUp.ChangedMore);
        Assert.Equal(catchUp.Changed.Select(m => m.Rev).Order(), catchUp.Changed.Select(m => m.Rev));
    }

    [Fact]
    public async Task The_changes_query_reads_the_partial_rev_index_not_the_room()
    {
        var room = await NewRoomAsync();
        var sent = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Messages.CreateAsync(room, Bob, $"m{i}", null)));
        foreach (var result in sent.Take(3))
        {
            Ok(await Reactions.ReactAsync(room, Ann, result.Value!.Message.Id, "👍"));
        }

        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync("ANALYZE");
        // The query HistoryQueries.ChangedSince compiles, with values in place of its parameters.
        var sql = $"SELECT id FROM messages WHERE room_id = {room.Id} AND rev IS NOT NULL AND rev > {sent[0].Value!.Message.Id} AND id <= {long.MaxValue} ORDER BY rev LIMIT 501";
        var plan = string.Join('\n', await ExplainAsync(db, sql));

        Assert.True(plan.Contains("ix_messages_room_id_rev", StringComparison.Ordinal), plan);
    }

    private async Task<List<string>> ExplainAsync(ChatDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var postgres = fixture.Database.Provider == DatabaseProvider.Postgres;
        await using var command = connection.CreateCommand();
        command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql;
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetValue(reader.FieldCount - 1).ToString()!);
        }

        return lines;
    }
}

[Collection("sqlite")]
public sealed class SqliteMessageChangesTests(SqliteDatabaseFixture fixture) : MessageChangesSpecification(fixture), IClassFixture<SqliteDatabaseFixture>;

[Collection("postgres")]
public sealed class PostgresMessageChangesTests(PostgresDatabaseFixture fixture) : MessageChangesSpecification(fixture), IClassFixture<PostgresDatabaseFixture>;
