using Chat.Messages;
using Chat.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Tests;

/// <summary>
/// A commit whose outcome is uncertain (issue 12, fault test 3): PostgreSQL commits a batch
/// and its answer never reaches the writer. Every message of the batch is stored, so every one
/// is acknowledged and announced, once: retrying it blindly would find the stored originals
/// of its client_ids, which are never announced, and live members would miss them for good.
/// </summary>
[Collection("postgres")]
public sealed class PostgresLostCommitTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly ChatUser Ann = new(401, "ann");

    [Fact]
    public async Task A_batch_whose_commit_answer_is_lost_is_acknowledged_and_announced_once()
    {
        var target = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString);
        await using var proxy = new CommitAnswerLosingProxy(target.Host!, target.Port);
        var events = new RecordingEvents();
        await using var node = NodeThrough(proxy, events);
        var messages = node.GetRequiredService<MessageService>();
        var room = (await fixture.Rooms.CreateAsync("lost commit " + Guid.NewGuid().ToString("N")[..8], null)).Value!;
        Assert.True((await messages.CreateAsync(room, Ann, "before", "c-before")).IsOk);

        proxy.LoseNextCommitAnswer();
        var sends = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => messages.CreateAsync(room, Ann, $"m{i}", $"c-{i}")));

        Assert.Equal(1, proxy.AnswersLost);
        Assert.All(sends, s => Assert.True(s.IsOk, s.Failure ?? s.Errors?.ToString()));
        var announced = events.Messages.Where(m => m.RoomId == room.Id).Select(m => m.Id).ToList();
        Assert.Equal(51, announced.Count);
        Assert.Equal(announced.Order(), announced);
        Assert.Equal(sends.Select(s => s.Value!.Message.Id).Order(), announced.Skip(1));

        // The senders cannot know which answers were lost, so they may send again: the same
        // messages come back, and nothing is stored or announced twice.
        var again = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => messages.CreateAsync(room, Ann, $"m{i}", $"c-{i}")));
        Assert.All(again, s => Assert.False(s.Value!.Created));
        Assert.Equal(sends.Select(s => s.Value!.Message.Id), again.Select(s => s.Value!.Message.Id));
        Assert.Equal(51, events.Messages.Count(m => m.RoomId == room.Id));
        Assert.Equal(51, (await fixture.Messages.CatchUpAsync(room.Id, 0)).Messages.Count);
    }

    /// <summary>A node whose connections to the fixture's database go through the proxy.</summary>
    private ServiceProvider NodeThrough(CommitAnswerLosingProxy proxy, IChatEvents events)
    {
        var connection = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port };
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(events);
        services.AddChat(ChatDatabase.Postgres(connection.ConnectionString));
        return services.BuildServiceProvider();
    }
}
