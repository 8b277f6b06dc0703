using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Chat.Persistence;

/// <summary>
/// Where the chat's data lives: the provider, its connection, and the migration set that
/// goes with it (one per provider, in its own assembly, as EF Core recommends).
/// </summary>
public sealed class ChatDatabase : IDisposable
{
    public const string SqliteMigrationsAssembly = "Chat.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "Chat.Migrations.Postgres";

    private ChatDatabase(DatabaseProvider provider, string connectionString, NpgsqlDataSource? dataSource)
    {
        Provider = provider;
        ConnectionString = connectionString;
        PostgresDataSource = dataSource;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>The pooled Npgsql data source, shared by EF Core and the message writer.</summary>
    public NpgsqlDataSource? PostgresDataSource { get; }

    public static ChatDatabase Sqlite(string connectionString) =>
        new(DatabaseProvider.Sqlite, SqliteConnectionStrings.WithDefaults(connectionString), null);

    public static ChatDatabase Postgres(string connectionString) =>
        new(DatabaseProvider.Postgres, connectionString, new NpgsqlDataSourceBuilder(connectionString).Build());

    public static ChatDatabase Create(DatabaseProvider provider, string connectionString) => provider switch
    {
        DatabaseProvider.Sqlite => Sqlite(connectionString),
        DatabaseProvider.Postgres => Postgres(connectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    /// <summary>Points an EF Core context at this database.</summary>
    public void Configure(DbContextOptionsBuilder options)
    {
        switch (Provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(ConnectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
                    .AddInterceptors(SqlitePragmas.Interceptor)
                    // SQLite rebuilds a table to change it, with foreign keys off around the
                    // rebuild; that pragma cannot run in a transaction, and EF says so on every
                    // fresh database. It is how SQLite migrations work, not a fault to report.
                    .ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.NonTransactionalMigrationOperationWarning));
                break;
            case DatabaseProvider.Postgres:
                options.UseNpgsql(PostgresDataSource!, postgres => postgres.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
        }
    }

    public DbContextOptions<ChatDbContext> CreateOptions()
    {
        var builder = new DbContextOptionsBuilder<ChatDbContext>();
        Configure(builder);
        return builder.Options;
    }

    public void Dispose() => PostgresDataSource?.Dispose();
}

internal static class SqliteConnectionStrings
{
    /// <summary>Shared cache off and pooling on: every connection has its own page cache and WAL reader.</summary>
    public static string WithDefaults(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            DefaultTimeout = 30,
        };
        if (builder.Mode == SqliteOpenMode.ReadWriteCreate && !string.IsNullOrEmpty(builder.DataSource)
            && builder.DataSource != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory)
        {
            CreateOwnerOnly(directory, Path.GetFullPath(builder.DataSource));
        }

        return builder.ToString();
    }

    /// <summary>
    /// The file holds password hashes. SQLite would create it with the umask's permissions
    /// (often world-readable); created here first, it is the owner's alone, and SQLite gives
    /// its -wal and -shm files the same permissions as the database.
    /// </summary>
    private static void CreateOwnerOnly(string directory, string file)
    {
        OwnerOnlyFiles.CreateDirectory(directory);
        if (!OwnerOnlyFiles.TryCreateEmptyFile(file))
        {
            return;
        }

        // An empty file is not yet a database in WAL mode, and switching it needs a write,
        // which fails on the read-only connection EF Core opens to ask whether it exists.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        SqlitePragmas.Apply(connection);
    }
}
