using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// Background duties of the socket layer: the idle sweep, and closing every socket when the
/// host stops, so clients reconnect to the next instance instead of timing out.
/// </summary>
/// <remarks>
/// The sockets are closed in <see cref="StoppingAsync"/>, which the host runs before it stops
/// any hosted service, the web server included: while clients answer their close frames the
/// server still listens, so a load balancer polling <c>/readyz</c> (503 from the moment the stop
/// began) sees the node leave instead of a refused connection.
/// </remarks>
internal sealed class SocketSupervisor(
    SocketRegistry registry,
    IOptions<ChannelsOptions> options,
    IHostApplicationLifetime lifetime) : BackgroundService, IHostedLifecycleService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopping fires before the web server starts draining requests; closing
        // the sockets then lets the server finish instead of waiting out its timeout.
        lifetime.ApplicationStopping.Register(registry.CloseAllForShutdown);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idleTimeout = options.Value.IdleTimeout;
        // Sweeping at a sixth of the timeout closes an idle socket at most 17% late.
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(idleTimeout.Ticks / 6, TimeSpan.TicksPerMillisecond * 100)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                registry.CloseIdle(idleTimeout);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        registry.CloseAllForShutdown();
        // Give clients a moment to answer the close, so their channels terminate cleanly.
        var deadline = DateTime.UtcNow + options.Value.CloseTimeout;
        while (registry.Count > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
