using Chat.Persistence;

namespace Chat.Server.Configuration;

/// <summary>Reads which database to use (CONTRACT.md §0) and opens it.</summary>
public static class DatabaseConfiguration
{
    public static ChatDatabase FromConfiguration(IConfiguration configuration)
    {
        var providerName = configuration["Chat:Database:Provider"] ?? "sqlite";
        var provider = providerName.ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            _ => throw new InvalidOperationException($"Chat:Database:Provider must be sqlite or postgres, not \"{providerName}\"."),
        };

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

        return ChatDatabase.Create(provider, connectionString);
    }

    /// <summary>Runs migrations at start unless <c>Chat:Database:MigrateOnStart</c> is false.</summary>
    public static bool MigrateOnStart(IConfiguration configuration) =>
        configuration.GetValue("Chat:Database:MigrateOnStart", defaultValue: true);
}
