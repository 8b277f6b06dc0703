using Chat.Persistence;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.Migrations.Sqlite;

/// <summary>Lets <c>dotnet ef</c> build the model for SQLite without starting the server.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ChatDbContext>
{
    public ChatDbContext CreateDbContext(string[] args) =>
        new(ChatDatabase.Sqlite("Data Source=design-time.db").CreateOptions());
}
