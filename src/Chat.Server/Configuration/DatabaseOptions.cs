using System.ComponentModel.DataAnnotations;
using Chat.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Database</c> section: which database, and whether the node migrates it.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Chat:Database";

    /// <summary><c>sqlite</c> (one file in the data dir) or <c>postgres</c> (<c>ConnectionStrings:Chat</c> names it).</summary>
    [Required]
    [RegularExpression("(?i)^(sqlite|postgres|postgresql)$", ErrorMessage = "must be sqlite or postgres")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Apply migrations at start; off when a deployment step runs <c>migrate</c> instead.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// PostgreSQL connections one node keeps at most. Unset: the connection string's own
    /// <c>Maximum Pool Size</c> if it has one, else <see cref="DefaultMaxPoolSize"/>.
    /// </summary>
    [Range(2, 10_000, ErrorMessage = "must be between {1} and {2}")]
    public int? MaxPoolSize { get; set; }

    /// <summary>
    /// Npgsql's own default is 100, which is all of a default PostgreSQL's <c>max_connections</c>:
    /// two nodes would exhaust it. One node's writer needs one connection and its readers a few
    /// per core, so 20 is plenty, and four nodes fit a default server with room to spare
    /// (docs/deployment.md says how to size it).
    /// </summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>
    /// Statements Npgsql keeps prepared on each connection (<c>Max Auto Prepare</c>), unless the
    /// connection string says otherwise. A join runs the same few statements every time, and
    /// without preparation PostgreSQL parsed and planned each anew: half of its CPU while a room
    /// of 10,000 filled (docs/benchmarks.md). <c>Max Auto Prepare=0</c> in the connection string
    /// turns it off, for a pooler that cannot keep prepared statements (docs/deployment.md).
    /// </summary>
    public const int DefaultMaxAutoPrepare = 64;

    internal bool NamesKnownProvider => Provider.ToLowerInvariant() is "sqlite" or "postgres" or "postgresql";

    public DatabaseProvider ProviderKind =>
        Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;

    /// <summary>Opens the configured database: the connection string, or SQLite's <c>chat.db</c> in the data dir.</summary>
    public static ChatDatabase Open(DatabaseOptions database, ConnectionStringsOptions connectionStrings, ChatServerOptions server) =>
        ChatDatabase.Create(
            database.ProviderKind,
            string.IsNullOrWhiteSpace(connectionStrings.Chat) ? $"Data Source={server.PathInDataDir("chat.db")}"
            : database.ProviderKind == DatabaseProvider.Postgres ? WithAutoPrepare(WithPoolSize(connectionStrings.Chat, database.MaxPoolSize))
            : connectionStrings.Chat);

    /// <summary>Sizes the PostgreSQL pool: the configured size, else the string's own, else <see cref="DefaultMaxPoolSize"/>.</summary>
    public static string WithPoolSize(string connectionString, int? configured)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (configured is { } size)
        {
            builder.MaxPoolSize = size;
        }
        else if (!Sets(connectionString, "maxpoolsize", "maximumpoolsize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        return builder.ConnectionString;
    }

    /// <summary>Prepares the statements a node runs again and again: <see cref="DefaultMaxAutoPrepare"/>, unless the string sets its own.</summary>
    public static string WithAutoPrepare(string connectionString)
    {
        if (Sets(connectionString, "maxautoprepare"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = DefaultMaxAutoPrepare }.ConnectionString;
    }

    /// <summary>Whether the string names one of <paramref name="keys"/> (lower case, without spaces), however it spells it.</summary>
    private static bool Sets(string connectionString, params string[] keys) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal))
            .Any(key => keys.Contains(key, StringComparer.OrdinalIgnoreCase));
}

/// <summary>What <c>Chat:Database</c> needs from <c>ConnectionStrings:Chat</c>: PostgreSQL must be named, and any string must parse.</summary>
internal sealed class DatabaseOptionsValidator(IConfiguration configuration) : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        // Read, not resolved: the validated options would report their own failures here again.
        var connectionString = configuration.GetConnectionString("Chat");
        if (!options.NamesKnownProvider)
        {
            return ValidateOptionsResult.Success; // reported by the section's own validation
        }

        if (options.ProviderKind == DatabaseProvider.Sqlite && !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
        {
            return ValidateOptionsResult.Fail(
                "ConnectionStrings:Redis is set, but Chat:Database:Provider is sqlite. SQLite is one node's file: nodes sharing Redis would " +
                "each keep a chat of their own. Set Chat:Database:Provider=postgres and ConnectionStrings:Chat to a PostgreSQL database that " +
                "every node shares, or unset ConnectionStrings:Redis to run one node.");
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return options.ProviderKind == DatabaseProvider.Postgres
                ? ValidateOptionsResult.Fail("ConnectionStrings:Chat must name the database, since Chat:Database:Provider is postgres (Host=…;Database=…;Username=…;Password=…).")
                : ValidateOptionsResult.Success;
        }

        try
        {
            _ = options.ProviderKind == DatabaseProvider.Postgres
                ? new NpgsqlConnectionStringBuilder(connectionString).ConnectionString
                : new SqliteConnectionStringBuilder(connectionString).ConnectionString;
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The message says which part is wrong; the string itself may hold a password.
            return ValidateOptionsResult.Fail($"ConnectionStrings:Chat is not a {options.Provider} connection string: {ex.Message}");
        }
    }
}
