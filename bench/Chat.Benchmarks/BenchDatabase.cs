using Chat.Messages;
using Chat.Rooms;
using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Benchmarks;

/// <summary>
/// A fresh, migrated database with the chat context on it, wired exactly as the host wires
/// it (<c>AddChat</c>, then <c>MigrateChatDatabaseAsync</c>), like the tests' fixtures:
/// SQLite in a new file of a temp directory, PostgreSQL in a new database of the server
/// named by the admin connection string. Disposing drops it.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Func<Task> _drop;

    private BenchDatabase(ChatDatabase database, ServiceProvider services, Func<Task> drop, string location, int? postmaster)
    {
        Postmaster = postmaster;
        Database = database;
        _services = services;
        _drop = drop;
        Location = location;
    }

    public ChatDatabase Database { get; }

    /// <summary>The PostgreSQL server's process id when it runs on this machine (to measure its CPU); otherwise null.</summary>
    public int? Postmaster { get; }

    /// <summary>The SQLite file or the PostgreSQL database name.</summary>
    public string Location { get; }

    public RoomService Rooms => _services.GetRequiredService<RoomService>();

    public MessageService Messages => _services.GetRequiredService<MessageService>();

    public MessageWriter Writer => _services.GetRequiredService<MessageWriter>();

    /// <summary>The context's services, for the parts that use more than messages.</summary>
    public IServiceProvider Services => _services;

    public IDbContextFactory<ChatDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<ChatDbContext>>();

    public static async Task<BenchDatabase> CreateAsync(BenchOptions options)
    {
        ChatDatabase database;
        Func<Task> drop;
        string location;
        int? postmaster = null;
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            var directory = Path.Combine(options.Directory, "chat-bench-" + Guid.NewGuid().ToString("N")[..12]);
            location = Path.Combine(directory, "chat.db");
            database = ChatDatabase.Sqlite($"Data Source={location}");
            drop = () =>
            {
                SqliteConnection.ClearAllPools();
                System.IO.Directory.Delete(directory, recursive: true);
                return Task.CompletedTask;
            };
        }
        else
        {
            var admin = AdminConnectionString(options);
            location = "chat_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {location}", connection);
                await create.ExecuteNonQueryAsync();
                await using var backend = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
                postmaster = ParentOf((int)(await backend.ExecuteScalarAsync())!);
            }

            var name = location;
            database = ChatDatabase.Postgres(new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString);
            drop = async () =>
            {
                NpgsqlConnection.ClearAllPools();
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                await using var dropCommand = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                await dropCommand.ExecuteNonQueryAsync();
            };
        }

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddChat(database);
        var provider = services.BuildServiceProvider();
        await provider.MigrateChatDatabaseAsync();
        foreach (var index in options.DropIndexes)
        {
            // An experiment: what an index costs the writer. Names come from the command line of whoever runs this.
            await using var db = await provider.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync();
#pragma warning disable EF1002 // Not user input: an index name for a benchmark experiment.
            await db.Database.ExecuteSqlRawAsync($"DROP INDEX {index}");
#pragma warning restore EF1002
        }

        return new BenchDatabase(database, provider, drop, location, postmaster);
    }

    /// <summary>The parent of a local process (a backend's postmaster), or null when the server is not on this machine.</summary>
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The admin connection, unpooled: it must not hold a server connection while the benchmark runs.</summary>
    public static string AdminConnectionString(BenchOptions options) =>
        new NpgsqlConnectionStringBuilder(options.PostgresAdmin
            ?? throw new ArgumentException("PostgreSQL needs --pg \"Host=…;Username=postgres;Database=postgres\" or CHAT_BENCH_POSTGRES."))
        { Pooling = false }.ConnectionString;

    /// <summary>Rooms to post into, made through the context like any other.</summary>
    public async Task<RoomView[]> CreateRoomsAsync(int count)
    {
        var rooms = new RoomView[count];
        for (var i = 0; i < count; i++)
        {
            var result = await Rooms.CreateAsync($"Bench room {i + 1}", "A room of the persistence benchmark.");
            rooms[i] = result.Value ?? throw new InvalidOperationException("Could not create a room.");
        }

        return rooms;
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing the provider disposes the writer, which drains its queue first.
        await _services.DisposeAsync();
        Database.Dispose();
        await _drop();
    }
}
