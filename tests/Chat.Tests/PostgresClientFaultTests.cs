using Chat.Persistence;
using Chat.Rooms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests;

/// <summary>
/// Defence in depth behind the text rules (issue 12): text that PostgreSQL itself refuses as too
/// long for its column (22001) comes back as field errors, which the host answers with a 422 or
/// an error reply, never a 500 or <c>channel_crash</c>. The rules are sized to the columns, so the
/// database is made to disagree with them the way it can in the field: a column a DBA narrowed.
/// </summary>
[Collection("postgres")]
public sealed class PostgresClientFaultTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private static string Unique(string stem) => stem + " " + Guid.NewGuid().ToString("N")[..8];

    private static IReadOnlyDictionary<string, List<string>> ErrorsOf<T>(ChatResult<T> result)
    {
        Assert.False(result.IsOk, "expected field errors");
        Assert.NotNull(result.Errors);
        return result.Errors.ByField;
    }

    /// <summary>Runs <paramref name="test"/> with a column narrowed to <c>varchar(length)</c>, then widens it back.</summary>
    private async Task WithNarrowColumnAsync(string table, string column, int length, string original, Func<Task> test)
    {
        // DDL takes no parameters; every name here is the test's own.
        var narrow = $"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})";
        var widen = $"ALTER TABLE {table} ALTER COLUMN {column} TYPE {original}";
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(narrow);
        try
        {
            await test();
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync(widen);
        }
    }

    [Fact]
    public async Task A_description_longer_than_its_column_is_a_field_error_and_nothing_is_stored()
    {
        var name = Unique("Narrow");
        await WithNarrowColumnAsync("rooms", "description", 20, "varchar(4000)", async () =>
        {
            var errors = ErrorsOf(await fixture.Rooms.CreateAsync(name, "twenty-one characters"));
            Assert.Equal(["description"], errors.Keys);
            Assert.Equal([DatabaseErrors.TooLongToStore], errors["description"]);
            Assert.True((await fixture.Rooms.CreateAsync(Unique("Fits"), "exactly twenty chars")).IsOk);
        });

        Assert.Null(await fixture.Rooms.FindAsync(Slug.From(name)));
    }

    [Fact]
    public async Task A_rename_longer_than_the_column_is_a_field_error_and_the_room_keeps_its_name()
    {
        var room = (await fixture.Rooms.CreateAsync(Unique("Short"), null)).Value!;
        await WithNarrowColumnAsync("rooms", "name", 16, "varchar(320)", async () =>
        {
            var errors = ErrorsOf(await fixture.Rooms.RenameAsync(room.Slug, "seventeen letters"));
            Assert.Equal(["name"], errors.Keys);
            Assert.Equal([DatabaseErrors.TooLongToStore], errors["name"]);
        });

        Assert.Equal(room.Name, (await fixture.Rooms.FindAsync(room.Slug))!.Name);
    }

    [Fact]
    public async Task A_username_longer_than_the_column_is_a_field_error_on_the_username()
    {
        await WithNarrowColumnAsync("users", "username", 5, "varchar(32)", async () =>
        {
            var errors = ErrorsOf(await fixture.Accounts.RegisterAsync("u" + Guid.NewGuid().ToString("N")[..8], "password123"));
            Assert.Equal(["username"], errors.Keys);
            Assert.Equal([DatabaseErrors.TooLongToStore], errors["username"]);
        });
    }
}
