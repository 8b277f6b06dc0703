using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Telemetry;

/// <summary>The <c>Chat:Metrics</c> section (CONTRACT.md §0): the Prometheus scrape endpoint.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Chat:Metrics";

    /// <summary><c>GET /metrics</c> serves every meter in Prometheus' text format.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>The <c>Chat:Telemetry</c> section: exporting metrics and traces by OTLP.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Chat:Telemetry";

    /// <summary>
    /// An OpenTelemetry collector (<c>http://otel-collector:4317</c>); unset, nothing is exported
    /// by OTLP. The standard <c>OTEL_EXPORTER_OTLP_*</c> variables (protocol, headers, timeout)
    /// refine it.
    /// </summary>
    [Url(ErrorMessage = "must be an absolute URL such as http://otel-collector:4317")]
    public string? OtlpEndpoint { get; set; }

    /// <summary>The service name that every metric and span carries.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "must not be empty")]
    public string ServiceName { get; set; } = "chat";
}
