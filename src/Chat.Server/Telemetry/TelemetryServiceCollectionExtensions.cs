using Chat.Channels;
using Chat.Server.Admin;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Chat.Server.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Metrics and traces through OpenTelemetry: the chat's meters (channels, context, host),
    /// ASP.NET Core's, Kestrel's and the runtime's; a Prometheus scrape endpoint unless
    /// <c>Chat:Metrics:Enabled</c> is false; OTLP when <c>Chat:Telemetry:OtlpEndpoint</c> is set,
    /// and then also traces (without an OTLP endpoint no span is recorded).
    /// </summary>
    public static IServiceCollection AddChatTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<MetricsOptions>(configuration, MetricsOptions.Section);
        services.AddChatOptions<TelemetryOptions>(configuration, TelemetryOptions.Section);

        // Which exporters exist is decided while registering, before options can be resolved,
        // so these two sections are also read here; the same values are validated at start.
        var metrics = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new();
        var telemetry = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new();
        var otlp = Uri.TryCreate(telemetry.OtlpEndpoint, UriKind.Absolute, out var endpoint) ? endpoint : null;

        var openTelemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(telemetry.ServiceName, serviceVersion: ServerVersion.Current))
            .WithMetrics(meters =>
            {
                meters.AddMeter(
                    ChannelsDiagnostics.MeterName,
                    ChatDiagnostics.MeterName,
                    ServerDiagnostics.MeterName,
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "Microsoft.AspNetCore.Http.Connections",
                    "System.Runtime");
                if (metrics.Enabled)
                {
                    // No cached scrape: the exporter's default answers the same numbers for
                    // 300 ms, so a scrape right after a change would not show it.
                    meters.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp is not null)
                {
                    meters.AddOtlpExporter(exporter => exporter.Endpoint = otlp);
                }
            });

        // Spans are recorded only when something exports them. A tracer provider listening
        // without an exporter still samples every span and drops it at the end: on the
        // message path that was three spans per message (their activities, tags, ids and the
        // execution-context changes), a fifth of what a message allocated.
        if (otlp is not null)
        {
            openTelemetry.WithTracing(traces =>
            {
                traces.AddSource(ChannelsDiagnostics.ActivitySourceName, ChatDiagnostics.ActivitySourceName, ServerDiagnostics.ActivitySourceName);
                traces.AddAspNetCoreInstrumentation(aspNetCore =>
                    aspNetCore.Filter = context => !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/healthz"));
                traces.AddOtlpExporter(exporter => exporter.Endpoint = otlp);
            });
        }

        return services;
    }

    /// <summary><c>GET /metrics</c> in Prometheus' text format, unless <c>Chat:Metrics:Enabled</c> is false.</summary>
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<MetricsOptions>>().Value.Enabled)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return app;
    }
}
