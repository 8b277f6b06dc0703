using Chat.Search;
using Npgsql;

namespace Chat.Tests;

/// <summary>
/// The search index's pending list is emptied in the background once messages are stored, so
/// that no insert of the writer has to move it into the index inside its transaction; and
/// search finds the messages all the same.
/// </summary>
[Collection("postgres")]
public sealed class PostgresSearchIndexCleanerTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Stored_messages_leave_the_pending_list_for_the_index_without_another_insert()
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var extension = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pgstattuple", connection))
        {
            await extension.ExecuteNonQueryAsync();
        }

        var room = (await fixture.Rooms.CreateAsync("gin cleaner " + Guid.NewGuid().ToString("N")[..8], null)).Value!;
        var marker = "zq" + Guid.NewGuid().ToString("N")[..10];
        var sends = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            fixture.Messages.CreateAsync(room, new ChatUser(501, "ann"), $"{marker} word{i}", null)));
        Assert.All(sends, s => Assert.True(s.IsOk));

        // Far below gin_pending_list_limit, so no insert moved them: only the cleaner can have.
        // Autovacuum could too, but not within seconds of the inserts.
        long pending = -1;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var stats = new NpgsqlCommand("SELECT pending_tuples FROM pgstatginindex('ix_messages_search')", connection);
            pending = (long)(await stats.ExecuteScalarAsync())!;
            if (pending == 0)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(0, pending);
        var found = (await fixture.Search.SearchAsync(new SearchRequest(marker, room.Id, Limit: 100))).Value!;
        Assert.Equal(sends.Select(s => s.Value!.Message.Id).Order(), found.Messages.Select(m => m.Id).Order());
    }
}
