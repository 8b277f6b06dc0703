using Chat.Accounts;
using Chat.Rooms;
using Chat.Search;

namespace Chat.Tests;

/// <summary>
/// The one rule every text field follows (CONTRACT.md §2): characters as a reader counts them,
/// a byte cap of four bytes per character, no control characters but newline and tab. One
/// suite for both providers, because what the rule lets through must be what the database stores.
/// </summary>
public abstract class TextLimitsSpecification(DatabaseFixture fixture)
{
    private const string CombiningAcute = "\u0301";

    private static ChatUser Ann { get; } = new(301, "ann");

    private static string Unique(string stem) => stem + " " + Guid.NewGuid().ToString("N")[..12];

    /// <summary>One grapheme of many bytes: "a" under <paramref name="marks"/> accents.</summary>
    private static string Bomb(int marks) => "a" + string.Concat(Enumerable.Repeat(CombiningAcute, marks));

    private static IReadOnlyList<string> ErrorsOf<T>(ChatResult<T> result, string field)
    {
        Assert.False(result.IsOk, $"expected errors on {field}");
        Assert.NotNull(result.Errors);
        return result.Errors.ByField.TryGetValue(field, out var messages) ? messages : [];
    }

    private async Task<RoomView> NewRoomAsync() => (await fixture.Rooms.CreateAsync(Unique("Limits"), null)).Value!;

    [Fact]
    public async Task A_combining_mark_bomb_is_one_character_and_is_refused_by_its_bytes_in_every_field()
    {
        var room = await NewRoomAsync();

        // 20,001 code points, 40,001 bytes, one character: under the 4000-character cap.
        Assert.Equal(["should be at most 16000 byte(s)"], ErrorsOf(await fixture.Messages.CreateAsync(room, Ann, Bomb(20_000), null), "content"));
        Assert.Equal(["should be at most 320 byte(s)"], ErrorsOf(await fixture.Rooms.CreateAsync(Bomb(200), null), "name"));
        Assert.Equal(["should be at most 4000 byte(s)"], ErrorsOf(await fixture.Rooms.CreateAsync(Unique("Fine"), Bomb(2_500)), "description"));

        var sent = (await fixture.Messages.CreateAsync(room, Ann, "after the bombs", null)).Value!.Message;
        var history = (await fixture.Messages.ListAsync(room.Id, new Messages.HistoryRequest())).Value!;
        Assert.Equal([sent.Id], history.Messages.Select(m => m.Id));
    }

    [Fact]
    public async Task Text_at_its_byte_cap_is_stored_whole_by_the_database()
    {
        // 80 characters of two code points each (e + combining accent): 240 bytes and 160 code
        // points, which a varchar(80) refused (an HTTP 500 on PostgreSQL).
        var decomposed = string.Concat(Enumerable.Repeat("e" + CombiningAcute, 80));
        var created = await fixture.Rooms.CreateAsync(decomposed, null);
        Assert.True(created.IsOk, created.Errors?.ToString());
        Assert.Equal(decomposed, (await fixture.Rooms.FindAsync(created.Value!.Slug))!.Name);

        // 40 flags: 80 code points, 320 bytes, exactly the cap.
        var flags = string.Concat(Enumerable.Repeat("\U0001F1EB\U0001F1F7", 40));
        var flagged = await fixture.Rooms.CreateAsync(flags, null);
        Assert.True(flagged.IsOk, flagged.Errors?.ToString());
        Assert.Equal(flags, (await fixture.Rooms.FindAsync(flagged.Value!.Slug))!.Name);

        // 80 flags are 80 characters but 640 bytes: a field error, not a database error.
        var eighty = string.Concat(Enumerable.Repeat("\U0001F1EB\U0001F1F7", 80));
        Assert.Equal(["should be at most 320 byte(s)"], ErrorsOf(await fixture.Rooms.CreateAsync(eighty, null), "name"));

        var room = await NewRoomAsync();
        var content = string.Concat(Enumerable.Repeat("\U0001F600", 4000));
        var sent = await fixture.Messages.CreateAsync(room, Ann, content, null);
        Assert.True(sent.IsOk, sent.Errors?.ToString() ?? sent.Failure);
        Assert.Equal(content, (await fixture.Messages.ListAsync(room.Id, new Messages.HistoryRequest())).Value!.Messages.Single().Content);
    }

    /// <summary>
    /// By name: a theory's strings pass through UTF-8 on their way to the runner, which would
    /// turn an unpaired surrogate into U+FFFD before the test saw it.
    /// </summary>
    private static readonly Dictionary<string, string> Unwanted = new()
    {
        ["NUL"] = "NUL \0 inside",
        ["bell"] = "bell \u0007 inside",
        ["carriage return"] = "carriage\rreturn",
        ["delete"] = "delete \u007F inside",
        ["next line (C1)"] = "next\u0085line",
        ["unpaired high surrogate"] = "unpaired \uD800 surrogate",
        ["surrogates in the wrong order"] = "reversed \uDC00\uD800 surrogates",
        ["a high surrogate at the end"] = "ends badly \uD83D",
    };

    [Theory]
    [InlineData("NUL")]
    [InlineData("bell")]
    [InlineData("carriage return")]
    [InlineData("delete")]
    [InlineData("next line (C1)")]
    [InlineData("unpaired high surrogate")]
    [InlineData("surrogates in the wrong order")]
    [InlineData("a high surrogate at the end")]
    public async Task Control_characters_and_unpaired_surrogates_are_field_errors_everywhere(string what)
    {
        var bad = Unwanted[what];
        var room = await NewRoomAsync();
        const string InvalidCharacters = "has invalid characters";

        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Messages.CreateAsync(room, Ann, bad, null), "content"));
        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Messages.CreateAsync(room, Ann, "fine", "id " + bad), "client_id"));
        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Rooms.CreateAsync(bad, null), "name"));
        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Rooms.CreateAsync(Unique("Fine"), bad), "description"));
        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Accounts.RegisterAsync("user" + Guid.NewGuid().ToString("N")[..8], "password " + bad), "password"));
        Assert.Equal([InvalidCharacters], ErrorsOf(await fixture.Search.SearchAsync(new SearchRequest(bad, null)), "q"));

        var sent = await fixture.Messages.CreateAsync(room, Ann, "newline\nand\ttab stay", null);
        Assert.True(sent.IsOk, sent.Errors?.ToString() ?? sent.Failure);
        Assert.Equal("newline\nand\ttab stay", sent.Value!.Message.Content);
    }

    [Fact]
    public async Task A_password_of_150_emoji_registers_and_signs_in()
    {
        var name = "emoji" + Guid.NewGuid().ToString("N")[..8];
        var password = string.Concat(Enumerable.Repeat("\U0001F511", 150));

        var registered = await fixture.Accounts.RegisterAsync(name, password);

        Assert.True(registered.IsOk, registered.Errors?.ToString());
        Assert.Equal(registered.Value!.Id, (await fixture.Accounts.VerifyPasswordAsync(name, password))?.Id);
        Assert.Null(await fixture.Accounts.VerifyPasswordAsync(name, password[..^2]));
    }

    [Theory]
    [InlineData("Zoë Ångström", true)]
    [InlineData("a name of exactly sixty-four characters, which is the longest ok", true)]
    [InlineData("a name of sixty-five characters, which is one more than allowed!!", false)]
    [InlineData("tab\tis text", true)]
    [InlineData("nul\0 is not", false)]
    [InlineData("   ", false)]
    public void An_author_name_from_a_token_fits_the_column_it_is_stored_in(string name, bool allowed) =>
        Assert.Equal(allowed, AccountRules.IsAuthorName(name));

    [Fact]
    public void Sixty_four_characters_of_many_bytes_are_refused_by_the_columns_byte_length() =>
        // 64 emoji are 256 bytes: the rule caps bytes at the column's 255, which then always fit.
        Assert.False(AccountRules.IsAuthorName(string.Concat(Enumerable.Repeat("\U0001F600", 64))));
}

[Collection("sqlite")]
public sealed class SqliteTextLimitsTests(SqliteDatabaseFixture fixture) : TextLimitsSpecification(fixture), IClassFixture<SqliteDatabaseFixture>;

[Collection("postgres")]
public sealed class PostgresTextLimitsTests(PostgresDatabaseFixture fixture) : TextLimitsSpecification(fixture), IClassFixture<PostgresDatabaseFixture>;
