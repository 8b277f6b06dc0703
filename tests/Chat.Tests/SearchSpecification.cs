using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Chat.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests;

/// <summary>Search (CONTRACT.md §6), one suite for every provider: the same words match on each.</summary>
public abstract class SearchSpecification(DatabaseFixture fixture)
{
    private static ChatUser Ann { get; } = new(301, "ann");

    private SearchService Search => fixture.Search;

    private async Task<RoomView> NewRoomAsync() =>
        (await fixture.Rooms.CreateAsync("Search " + Guid.NewGuid().ToString("N")[..12], null)).Value!;

    /// <summary>A word no other test's messages hold, so that each test sees only its own.</summary>
    private static string Marker() => "zq" + Guid.NewGuid().ToString("N")[..10];

    private async Task<MessageView> SendAsync(RoomView room, string content)
    {
        var result = await fixture.Messages.CreateAsync(room, Ann, content, null);
        Assert.True(result.IsOk, result.Errors?.ToString() ?? result.Failure);
        return result.Value!.Message;
    }

    private async Task<IReadOnlyList<long>> FindAsync(string query, RoomView? room = null) =>
        (await Search.SearchAsync(new SearchRequest(query, room?.Id))).Value!.Messages.Select(m => m.Id).ToList();

    [Fact]
    public async Task A_message_matches_when_it_holds_every_word_without_regard_to_case_or_accents()
    {
        var room = await NewRoomAsync();
        var marker = Marker();
        var dessert = await SendAsync(room, $"{marker}: Crème Brûlée, s'il vous plaît! Straße");
        await SendAsync(room, $"{marker} creme only");

        Assert.Equal([dessert.Id], await FindAsync($"{marker} creme brulee"));
        Assert.Equal([dessert.Id], await FindAsync($"{marker.ToUpperInvariant()} CRÈME BRÛLÉE"));
        Assert.Equal([dessert.Id], await FindAsync($"{marker} strasse"));
        Assert.Equal([dessert.Id], await FindAsync($"{marker} straße plait"));
        Assert.Empty(await FindAsync($"{marker} creme caramel"));
    }

    [Fact]
    public async Task The_last_word_matches_as_a_prefix_and_only_the_last()
    {
        var room = await NewRoomAsync();
        var marker = Marker();
        var hello = await SendAsync(room, $"hello world {marker}");

        Assert.Equal([hello.Id], await FindAsync($"{marker} hel"));
        Assert.Equal([hello.Id], await FindAsync($"hello {marker[..6]}"));
        Assert.Empty(await FindAsync($"hel {marker}"));
    }

    [Fact]
    public async Task A_last_word_that_begins_many_words_still_finds_them_all()
    {
        var room = await NewRoomAsync();
        var marker = Marker();
        var few = new List<long>();
        foreach (var suffix in new[] { "alpha", "beta" })
        {
            few.Add((await SendAsync(room, $"{marker}{suffix} ok")).Id);
        }

        var many = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            many.Add((await SendAsync(room, $"ok {marker}many{i}")).Id);
        }

        // 42 words begin with the marker: searched as a prefix. 2 and 11 words: searched as those words.
        var page = (await Search.SearchAsync(new SearchRequest($"ok {marker}", Limit: 100))).Value!;

        Assert.Equal(many.Concat(few).OrderDescending(), page.Messages.Select(m => m.Id));
        Assert.Equal([few[0]], await FindAsync($"ok {marker}al"));
        Assert.Equal(many.Where((_, i) => i == 3 || i >= 30).OrderDescending(), await FindAsync($"ok {marker}many3"));
    }

    [Fact]
    public async Task Tombstones_never_match_and_an_edit_is_found_by_its_new_words_only()
    {
        var room = await NewRoomAsync();
        var marker = Marker();
        var deleted = await SendAsync(room, $"{marker} secret");
        var edited = await SendAsync(room, $"{marker} teh typo");
        await fixture.Messages.DeleteAsync(room, Ann, deleted.Id);
        await fixture.Messages.EditAsync(room, Ann, edited.Id, $"{marker} the fix");

        Assert.Empty(await FindAsync($"{marker} secret"));
        Assert.Empty(await FindAsync($"{marker} teh"));
        var found = Assert.Single((await Search.SearchAsync(new SearchRequest($"{marker} fix"))).Value!.Messages);
        Assert.Equal($"{marker} the fix", found.Content);
        Assert.NotNull(found.EditedAt);
        Assert.Equal([edited.Id], await FindAsync(marker));
    }

    [Fact]
    public async Task Results_come_newest_first_with_the_room_slug_and_page_with_before()
    {
        var room = await NewRoomAsync();
        var marker = Marker();
        var sent = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            sent.Add((await SendAsync(room, $"{marker} number {i}")).Id);
        }

        var first = (await Search.SearchAsync(new SearchRequest(marker, Limit: 3))).Value!;
        var second = (await Search.SearchAsync(new SearchRequest(marker, BeforeId: first.Messages[^1].Id, Limit: 3))).Value!;
        var last = (await Search.SearchAsync(new SearchRequest(marker, BeforeId: second.Messages[^1].Id, Limit: 3))).Value!;

        Assert.Equal(sent[4..].AsEnumerable().Reverse(), first.Messages.Select(m => m.Id));
        Assert.Equal(room.Slug, first.Messages[0].RoomSlug);
        Assert.True(first.HasMore);
        Assert.Equal(sent[1..4].AsEnumerable().Reverse(), second.Messages.Select(m => m.Id));
        Assert.Equal([sent[0]], last.Messages.Select(m => m.Id));
        Assert.False(last.HasMore);
    }

    [Fact]
    public async Task A_search_may_keep_to_one_room()
    {
        var room = await NewRoomAsync();
        var other = await NewRoomAsync();
        var marker = Marker();
        var here = await SendAsync(room, $"{marker} here");
        var there = await SendAsync(other, $"{marker} there");

        Assert.Equal([there.Id, here.Id], await FindAsync(marker));
        Assert.Equal([here.Id], await FindAsync(marker, room));
        Assert.Equal([there.Id], await FindAsync(marker, other));
    }

    [Theory]
    [InlineData("", "q", "can't be blank")]
    [InlineData("   ", "q", "can't be blank")]
    public async Task A_query_needs_words(string query, string field, string error)
    {
        var result = await Search.SearchAsync(new SearchRequest(query));

        Assert.Equal([error], result.Errors!.ByField[field]);
    }

    [Fact]
    public async Task Limits_are_1_to_100_and_a_query_without_letters_or_digits_matches_nothing()
    {
        Assert.Equal(["must be less than or equal to 100"], (await Search.SearchAsync(new SearchRequest("x", Limit: 101))).Errors!.ByField["limit"]);
        Assert.Equal(["must be greater than or equal to 1"], (await Search.SearchAsync(new SearchRequest("x", Limit: 0))).Errors!.ByField["limit"]);
        Assert.Empty((await Search.SearchAsync(new SearchRequest("!!! 🙂"))).Value!.Messages);
    }

    [Fact]
    public async Task An_imported_message_is_found_by_search_and_its_mentions_are_stored()
    {
        var marker = Marker();
        var bob = (await fixture.Accounts.RegisterAsync("bob" + Guid.NewGuid().ToString("N")[..10], "password123")).Value!;
        var archive = fixture.Services.GetRequiredService<RoomArchive>();

        var imported = await archive.ImportAsync("Imported " + marker, null, ArchiveOf(
            new ArchivedMessage(Ann.Id, Ann.Username, $"{marker} Crème brûlée", DateTime.UtcNow.AddDays(-2)),
            new ArchivedMessage(Ann.Id, Ann.Username, $"{marker} thanks @{bob.Username}.", DateTime.UtcNow.AddDays(-1))));

        var room = imported.Value!.Room;
        var history = (await fixture.Messages.ListAsync(room.Id, new HistoryRequest())).Value!.Messages;
        Assert.Equal([history[0].Id], await FindAsync($"{marker} creme bru"));
        Assert.Equal([history[1].Id], await FindAsync($"{marker} thanks", room));
        Assert.Equal(history.Select(m => m.Id).OrderDescending(), await FindAsync(marker));
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        var mentions = await db.Mentions.Where(m => m.RoomId == room.Id).ToListAsync();
        Assert.Equal([(history[1].Id, bob.Id)], mentions.Select(m => (m.MessageId, m.UserId)));
    }

    private static async IAsyncEnumerable<ArchivedMessage> ArchiveOf(params ArchivedMessage[] messages)
    {
        foreach (var message in messages)
        {
            await Task.Yield();
            yield return message;
        }
    }

    [Fact]
    public void Words_fold_case_and_accents_and_split_at_everything_else()
    {
        Assert.Equal(["creme", "brulee", "s", "il", "strasse", "日本語", "x2"], SearchText.Words("Crème BRÛLÉE, s'il — Straße 日本語 🙂 x2"));
        Assert.Equal(64, Assert.Single(SearchText.Words(new string('a', 100))).Length);
    }

    [Theory]
    [InlineData("Crème BRÛLÉE, s'il — Straße 日本語 🙂 x2")]
    [InlineData("dup Dup DUP dúp, again dup")]
    [InlineData("𝒜𝒷𝒸 ĞÜŞİÖÇ ıi Æther Œuvre Øre Łódź Đuro ðþ a\u0301b\u20DDc ١٢٣ ǅemal")]
    [InlineData("plain ascii words, with punctuation: tab\there new-line\nunder_score x.y")]
    [InlineData("!!! 🙂")]
    public void A_document_is_the_distinct_words_then_the_room_token(string text)
    {
        var words = SearchText.Words(text).Distinct(StringComparer.Ordinal).Append(SearchText.RoomToken(42));

        Assert.Equal(string.Join(' ', words), SearchText.Document(42, text));
    }

    [Fact]
    public void Long_words_are_cut_alike_in_documents_and_queries_and_never_inside_a_surrogate_pair()
    {
        var text = "x" + new string('é', 70) + " " + new string('a', 63) + "𝒜b";

        var words = SearchText.Words(text);

        Assert.Equal(["x" + new string('e', 63), new string('a', 63)], words);
        Assert.Equal(string.Join(' ', words) + " " + SearchText.RoomToken(7), SearchText.Document(7, text));
    }
}

[Collection("sqlite")]
public sealed class SqliteSearchTests(SqliteDatabaseFixture fixture) : SearchSpecification(fixture), IClassFixture<SqliteDatabaseFixture>;

[Collection("postgres")]
public sealed class PostgresSearchTests(PostgresDatabaseFixture fixture) : SearchSpecification(fixture), IClassFixture<PostgresDatabaseFixture>
{
    /// <summary>
    /// Without statistics on enough lexemes the planner takes a rare or absent word for a common
    /// one and walks every message newest first instead of reading the GIN index (the
    /// TuneSearchStatistics migration; the search benchmark measures what it changes).
    /// </summary>
    [Fact]
    public async Task The_search_column_keeps_statistics_on_enough_words_to_tell_rare_ones_from_common_ones()
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();

        var target = await db.Database
            .SqlQueryRaw<int>("SELECT attstattarget AS \"Value\" FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = 'search'")
            .SingleAsync();

        Assert.Equal(1000, target);
    }
}
