using Chat.Persistence;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.Migrations.Postgres;

/// <summary>Lets <c>dotnet ef</c> build the model for PostgreSQL without a server: no connection is opened.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ChatDbContext>
{
    public ChatDbContext CreateDbContext(string[] args) =>
        new(ChatDatabase.Postgres("Host=localhost;Database=chat_design_time").CreateOptions());
}
