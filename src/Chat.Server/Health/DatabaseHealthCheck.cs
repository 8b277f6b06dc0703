using Chat.Messages;
using Chat.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Health;

/// <summary>
/// Ready only while the database answers a query (within the check's timeout), while the
/// message writer can commit (it refuses sends while the database does not answer it), and,
/// on SQLite, while the WAL is being checkpointed: a stuck checkpointer lets the WAL grow
/// until the disk is full.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<ChatDbContext> contexts, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<SqliteCheckpointer>() is { IsStuck: true })
        {
            return HealthCheckResult.Unhealthy("The SQLite checkpointer has not completed a checkpoint for a while; the WAL is growing.");
        }

        if (services.GetService<MessageWriter>() is { IsUnavailable: true })
        {
            return HealthCheckResult.Unhealthy("The database does not answer the message writer; sends are refused until it does.");
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Rooms.AnyAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", ex);
        }
    }
}
