using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Channels.Redis.Internal;

/// <summary>Degraded while Redis is away: the node then delivers to its own sockets only.</summary>
internal sealed class RedisHealthCheck(RedisBackplane backplane) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backplane.IsAvailable
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable: broadcasts reach this node's sockets only."));
}
