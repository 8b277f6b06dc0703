using Chat.Persistence;
using Npgsql;

namespace Chat.Server.Configuration;

/// <summary>Reads which database to use (CONTRACT.md §0) and opens it.</summary>
public static class DatabaseConfiguration
{
    /// <summary>
    /// Connections one node keeps to PostgreSQL at most, unless configured. Npgsql's own default
    /// is 100, which is all of a default PostgreSQL's <c>max_connections</c>: two nodes would
    /// exhaust it. One node's writer needs one connection and its readers a few per core, so 20
    /// is plenty, and five nodes fit a default server (docs/deployment.md says how to size it).
    /// </summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>The configured provider (<c>Chat:Database:Provider</c>).</summary>
    public static DatabaseProvider Provider(IConfiguration configuration)
    {
        var providerName = configuration["Chat:Database:Provider"] ?? "sqlite";
        return providerName.ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            _ => throw new InvalidOperationException($"Chat:Database:Provider must be sqlite or postgres, not \"{providerName}\"."),
        };
    }

    public static ChatDatabase FromConfiguration(IConfiguration configuration)
    {
        var provider = Provider(configuration);
        var connectionString = configuration.GetConnectionString("Chat");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (provider == DatabaseProvider.Postgres)
            {
                throw new InvalidOperationException("Chat:Database:Provider is postgres, so ConnectionStrings:Chat must name the database.");
            }

            var dataDir = configuration["Chat:DataDir"] ?? "./data";
            connectionString = $"Data Source={Path.Combine(dataDir, "chat.db")}";
        }

        if (provider == DatabaseProvider.Postgres)
        {
            connectionString = WithPoolSize(connectionString, configuration);
        }

        return ChatDatabase.Create(provider, connectionString);
    }

    /// <summary>
    /// Sizes the PostgreSQL pool: <c>Chat:Database:MaxPoolSize</c> if set, else the connection
    /// string's own <c>Maximum Pool Size</c> if it has one, else <see cref="DefaultMaxPoolSize"/>.
    /// </summary>
    public static string WithPoolSize(string connectionString, IConfiguration configuration)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:Chat is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }

        var configured = configuration["Chat:Database:MaxPoolSize"];
        if (configured is not null)
        {
            if (!int.TryParse(configured, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 2)
            {
                throw new InvalidOperationException($"Chat:Database:MaxPoolSize must be a whole number of at least 2, not \"{configured}\".");
            }

            builder.MaxPoolSize = size;
        }
        else if (!SetsPoolSize(connectionString))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        return builder.ConnectionString;
    }

    private static bool SetsPoolSize(string connectionString)
    {
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys;
        return keys.Cast<string>().Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals("maxpoolsize", StringComparison.OrdinalIgnoreCase)
            || key.Replace(" ", "", StringComparison.Ordinal).Equals("maximumpoolsize", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Runs migrations at start unless <c>Chat:Database:MigrateOnStart</c> is false.</summary>
    public static bool MigrateOnStart(IConfiguration configuration) =>
        configuration.GetValue("Chat:Database:MigrateOnStart", defaultValue: true);
}
