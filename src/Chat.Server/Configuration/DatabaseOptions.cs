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

    internal bool NamesKnownProvider => Provider.ToLowerInvariant() is "sqlite" or "postgres" or "postgresql";

    public DatabaseProvider ProviderKind =>
        Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;

    /// <summary>Opens the configured database: the connection string, or SQLite's <c>chat.db</c> in the data dir.</summary>
    public static ChatDatabase Open(DatabaseOptions database, ConnectionStringsOptions connectionStrings, ChatServerOptions server) =>
        ChatDatabase.Create(
            database.ProviderKind,
            string.IsNullOrWhiteSpace(connectionStrings.Chat) ? $"Data Source={server.PathInDataDir("chat.db")}" : connectionStrings.Chat);
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
