using Chat.Messages;
using Chat.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Tests;

/// <summary>
/// What lets several nodes deliver a room's messages in one order: on PostgreSQL, every stored
/// message names the message right before it in its room, fixed in its own transaction, even
/// while two nodes commit into the same rooms at once.
/// </summary>
[Collection("postgres")]
public sealed class PostgresOrderTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Every_message_names_the_one_before_it_in_its_room_across_two_nodes_and_two_rooms()
    {
        var first = (await fixture.Rooms.CreateAsync("order one " + Guid.NewGuid().ToString("N")[..6], null)).Value!;
        var second = (await fixture.Rooms.CreateAsync("order two " + Guid.NewGuid().ToString("N")[..6], null)).Value!;
        var otherNodeEvents = new RecordingEvents();
        await using var otherNode = OtherNode(otherNodeEvents);
        var otherMessages = otherNode.GetRequiredService<MessageService>();

        // 400 sends, from both nodes, into both rooms, all at once: they land in batches that
        // interleave rooms and nodes.
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            (i % 2 == 0 ? fixture.Messages : otherMessages).CreateAsync(i % 3 == 0 ? first : second, new ChatUser(7, "ann"), $"m{i}", null)));
        Assert.All(results, r => Assert.True(r.IsOk));

        var announced = fixture.Events.Stored.Concat(otherNodeEvents.Stored)
            .Where(s => s.Message.RoomId == first.Id || s.Message.RoomId == second.Id)
            .ToList();
        Assert.Equal(400, announced.Count);
        foreach (var room in new[] { first, second })
        {
            var inRoom = announced.Where(s => s.Message.RoomId == room.Id).OrderBy(s => s.Message.Id).ToList();
            var expectedPrevious = 0L;
            foreach (var stored in inRoom)
            {
                Assert.Equal(expectedPrevious, stored.PreviousId);
                expectedPrevious = stored.Message.Id;
            }
        }
    }

    [Fact]
    public async Task A_repeated_client_id_is_not_given_a_place_of_its_own()
    {
        var room = (await fixture.Rooms.CreateAsync("order repeat " + Guid.NewGuid().ToString("N")[..6], null)).Value!;
        var ann = new ChatUser(8, "ann");

        var original = await fixture.Messages.CreateAsync(room, ann, "once", "c-1");
        var next = await fixture.Messages.CreateAsync(room, ann, "next", null);
        var repeat = await fixture.Messages.CreateAsync(room, ann, "once", "c-1");

        Assert.Equal(0, original.Value!.PreviousId);
        Assert.Equal(original.Value.Message.Id, next.Value!.PreviousId);
        Assert.False(repeat.Value!.Created);
        Assert.Equal(original.Value.Message.Id, repeat.Value.Message.Id);
    }

    /// <summary>A second node on the fixture's database: its own writer, its own pool.</summary>
    private ServiceProvider OtherNode(IChatEvents events)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(events);
        services.AddChat(ChatDatabase.Postgres(new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString).ConnectionString));
        services.Configure<MessageWriterOptions>(TestDeadlines.Apply);
        return services.BuildServiceProvider();
    }
}
