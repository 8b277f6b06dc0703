using System.Collections.Concurrent;
using Chat.Accounts;
using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Tests;

/// <summary>Everything the context said it committed, in the order it said so.</summary>
public sealed class RecordingEvents : IChatEvents
{
    public ConcurrentQueue<RoomView> Rooms { get; } = new();

    /// <summary>Every stored message announced, repeats of a client_id included.</summary>
    public ConcurrentQueue<StoredMessage> Stored { get; } = new();

    /// <summary>The messages announced as new: what the host broadcasts.</summary>
    public IEnumerable<MessageView> Messages => Stored.Where(s => s.Created).Select(s => s.Message);

    /// <summary>Every change announced.</summary>
    public ConcurrentQueue<MessageChange> Changes { get; } = new();

    /// <summary>Every announcement in the order it came: stored messages and changes alike.</summary>
    public ConcurrentQueue<object> InOrder { get; } = new();

    /// <summary>When set, announcing waits for it: a publisher that has fallen behind.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public ValueTask RoomCreatedAsync(RoomView room)
    {
        Rooms.Enqueue(room);
        return ValueTask.CompletedTask;
    }

    public async ValueTask MessagesStoredAsync(IReadOnlyList<StoredMessage> messages)
    {
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        foreach (var message in messages)
        {
            Stored.Enqueue(message);
            InOrder.Enqueue(message);
        }
    }

    /// <summary>Every read marker that moved: the user and the room's state then.</summary>
    public ConcurrentQueue<(long UserId, Chat.ReadMarkers.UnreadView Unread)> Reads { get; } = new();

    public ValueTask ReadMarkerMovedAsync(long userId, Chat.ReadMarkers.UnreadView unread)
    {
        Reads.Enqueue((userId, unread));
        return ValueTask.CompletedTask;
    }

    public ValueTask MessageChangedAsync(MessageChange change)
    {
        Changes.Enqueue(change);
        InOrder.Enqueue(change);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The writer's deadlines for tests that are not about them: a minute, the longest allowed.
/// The machine that runs the suite is shared, and at times so loaded (a load average of 70 on
/// two cores) that a batch takes seconds; the production deadline (5 s) would then answer
/// "unavailable" to a test that only meant to store a message. The deadlines themselves are
/// tested with their defaults, end to end (tests/e2e/faults.test.js).
/// </summary>
public static class TestDeadlines
{
    public static void Apply(MessageWriterOptions options)
    {
        options.SendTimeout = TimeSpan.FromMinutes(1);
        options.CommitTimeout = TimeSpan.FromMinutes(1);
    }
}

/// <summary>A fresh, migrated database of one provider, with the chat context on it.</summary>
public abstract class DatabaseFixture : IAsyncLifetime
{
    private ServiceProvider? _services;

    public ChatDatabase Database { get; private set; } = null!;

    public IServiceProvider Services => _services!;

    public RoomService Rooms => Services.GetRequiredService<RoomService>();

    public MessageService Messages => Services.GetRequiredService<MessageService>();

    public AccountService Accounts => Services.GetRequiredService<AccountService>();

    public Chat.Reactions.ReactionService Reactions => Services.GetRequiredService<Chat.Reactions.ReactionService>();

    public Chat.Search.SearchService Search => Services.GetRequiredService<Chat.Search.SearchService>();

    public Chat.ReadMarkers.ReadMarkerService ReadMarkers => Services.GetRequiredService<Chat.ReadMarkers.ReadMarkerService>();

    public RecordingEvents Events { get; } = new();

    protected abstract Task<ChatDatabase> CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    public async Task InitializeAsync()
    {
        Database = await CreateDatabaseAsync();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IChatEvents>(Events);
        services.AddChat(Database);
        services.Configure<MessageWriterOptions>(TestDeadlines.Apply);
        _services = services.BuildServiceProvider();
        await _services.MigrateChatDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Database.Dispose();
        await DropDatabaseAsync();
    }
}

public sealed class SqliteDatabaseFixture : DatabaseFixture
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-tests-" + Guid.NewGuid().ToString("N"));

    protected override Task<ChatDatabase> CreateDatabaseAsync() =>
        Task.FromResult(ChatDatabase.Sqlite($"Data Source={Path.Combine(_directory, "chat.db")}"));

    protected override Task DropDatabaseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresDatabaseFixture : DatabaseFixture
{
    private readonly string _name = "chat_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The admin connection string that ./test.sh exports; a missing server is a failure, never a skip.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("CHAT_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("CHAT_TEST_POSTGRES is not set: run the tests through ./test.sh, which starts PostgreSQL.");

    protected override async Task<ChatDatabase> CreateDatabaseAsync()
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = _name };
        return ChatDatabase.Postgres(builder.ConnectionString);
    }

    protected override async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
