using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Tests;

/// <summary>
/// The group-commit writer when the database refuses a row (issue 12, fault test 4), on each
/// provider: a row the database itself refuses, in the middle of every batch of a steady
/// stream, fails alone with a field error and costs its batch a few transactions, not one per
/// message. The writes go to the writer directly, as validation would let them through, so
/// the database is what refuses them.
/// </summary>
public abstract class WriterFaultSpecification(DatabaseFixture fixture)
{
    private const int BatchSize = 200;
    private const int Rounds = 3;
    private const int Refused = BatchSize / 2;

    protected static ChatUser Ann { get; } = new(301, "ann");

    protected static ChatUser Bob { get; } = new(302, "bob");

    protected DatabaseFixture Fixture => fixture;

    /// <summary>A message the database itself refuses to store (whatever validation would say of it).</summary>
    private protected abstract PendingMessage RowTheDatabaseRefuses(RoomView room);

    /// <summary>Holds the writer's next commit in the database until disposed, so that what is queued meanwhile shares one batch.</summary>
    protected abstract Task<IAsyncDisposable> HoldCommitsAsync();

    /// <summary>Completes once the writer has taken a batch and waits for the hold.</summary>
    protected abstract Task WriterIsHeldAsync();

    [Fact]
    public async Task One_refused_row_in_every_batch_of_a_stream_fails_alone_and_costs_its_batch_a_few_transactions()
    {
        var room = (await Fixture.Rooms.CreateAsync("refused rows " + Guid.NewGuid().ToString("N")[..8], null)).Value!;
        var writer = Fixture.Services.GetRequiredService<MessageWriter>();
        // Halving finds the refused row in ⌈log₂ 200⌉ = 8 levels, committing one good half
        // on each; retrying one by one (the old way) costs 199 transactions.
        var mostTransactions = 1 + (2 * (int)Math.Ceiling(Math.Log2(BatchSize)));

        for (var round = 0; round < Rounds; round++)
        {
            Task<ChatResult<PostedMessage>> plug;
            Task<ChatResult<PostedMessage>>[] sends;
            long committedBefore;
            await using (await HoldCommitsAsync())
            {
                plug = writer.WriteAsync(new PendingMessage(room, Bob, $"plug {round}", null, null), default);
                await WriterIsHeldAsync();
                committedBefore = writer.BatchesCommitted;
                sends = [.. Enumerable.Range(0, BatchSize).Select(i => writer.WriteAsync(
                    i == Refused ? RowTheDatabaseRefuses(room) : new PendingMessage(room, Ann, $"round {round} message {i}", $"r{round}-{i}", null),
                    default))];
            }

            Assert.True((await plug).IsOk);
            var results = await Task.WhenAll(sends);

            var refused = results[Refused];
            Assert.False(refused.IsOk);
            Assert.Null(refused.Failure);
            Assert.Equal(["is invalid"], refused.Errors!.ByField["content"]);
            var stored = results.Where((_, i) => i != Refused).ToList();
            Assert.All(stored, r => Assert.True(r.IsOk && r.Value!.Created, r.Failure ?? r.Errors?.ToString()));
            Assert.Equal(BatchSize - 1, stored.Select(r => r.Value!.Message.Id).Distinct().Count());
            Assert.InRange(writer.BatchesCommitted - committedBefore, 2, mostTransactions);
        }

        await using var db = await Fixture.Services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
        Assert.Equal(Rounds * BatchSize, await db.Messages.CountAsync(m => m.RoomId == room.Id));
        Assert.Equal(Rounds * (BatchSize - 1), await db.Messages.CountAsync(m => m.RoomId == room.Id && m.UserId == Ann.Id));
        Assert.Equal(Rounds * (BatchSize - 1), Fixture.Events.Messages.Count(m => m.RoomId == room.Id && m.UserId == Ann.Id));
    }

    protected sealed class Release(Func<ValueTask> release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => release();
    }
}

[Collection("sqlite")]
public sealed class SqliteWriterFaultTests(SqliteDatabaseFixture fixture) : WriterFaultSpecification(fixture), IClassFixture<SqliteDatabaseFixture>
{
    /// <summary>SQLite stores a NUL as it is; what it refuses is a row that breaks a key: the same mention twice.</summary>
    private protected override PendingMessage RowTheDatabaseRefuses(RoomView room) =>
        new(room, Ann, "@bob @bob", null, null, [Bob.Id, Bob.Id]);

    /// <summary>An immediate transaction on a connection of its own takes SQLite's one write lock.</summary>
    protected override async Task<IAsyncDisposable> HoldCommitsAsync()
    {
        var connection = new SqliteConnection(Fixture.Database.ConnectionString);
        await connection.OpenAsync();
        var transaction = connection.BeginTransaction(deferred: false);
        return new Release(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        });
    }

    /// <summary>SQLite cannot show who waits for its lock; the writer takes its batch at once, well within this.</summary>
    protected override Task WriterIsHeldAsync() => Task.Delay(200);
}

[Collection("postgres")]
public sealed class PostgresWriterFaultTests(PostgresDatabaseFixture fixture) : WriterFaultSpecification(fixture), IClassFixture<PostgresDatabaseFixture>
{
    /// <summary>PostgreSQL refuses a NUL in text, the case issue 12 found.</summary>
    private protected override PendingMessage RowTheDatabaseRefuses(RoomView room) => new(room, Ann, "a NUL \0 here", null, null);

    /// <summary>Every batch's transaction first takes the commit-order advisory lock; a session of the test holds it.</summary>
    protected override async Task<IAsyncDisposable> HoldCommitsAsync()
    {
        var connection = new NpgsqlConnection(Fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock(@lock)", connection) { Parameters = { new("lock", PostgresMessageBatchStore.CommitOrderLock) } })
        {
            await hold.ExecuteNonQueryAsync();
        }

        return new Release(async () =>
        {
            await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@lock)", connection) { Parameters = { new("lock", PostgresMessageBatchStore.CommitOrderLock) } })
            {
                await release.ExecuteNonQueryAsync();
            }

            await connection.DisposeAsync();
        });
    }

    protected override async Task WriterIsHeldAsync()
    {
        await using var connection = new NpgsqlConnection(Fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            connection);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((long)(await waiting.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
