using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Health;

/// <summary>
/// Not ready from the moment a graceful stop begins (CONTRACT.md §0), while the server still
/// answers and its sockets are closing: a load balancer that polls <c>/readyz</c> stops
/// sending new clients here before the listener goes away.
/// </summary>
internal sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("The server is stopping.")
            : HealthCheckResult.Healthy());
}
