using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.Server.Telemetry;

/// <summary>What the host reports: sign-ins, rate-limit hits, and the reply and broadcast spans of a message.</summary>
public static class ServerDiagnostics
{
    public const string MeterName = "Chat.Server";

    public const string ActivitySourceName = "Chat.Server";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    internal static readonly Counter<long> SignIns =
        Meter.CreateCounter<long>("chat.sign_ins", "{sign_in}", "Password sign-ins, by result (ok, failed).");

    internal static readonly Counter<long> RateLimited =
        Meter.CreateCounter<long>("chat.rate_limited", "{request}", "Requests refused by a rate limit, by kind (message, typing, room, sign_in, sign_up).");

    internal static readonly Counter<long> MemoryReclaims =
        Meter.CreateCounter<long>("chat.memory.reclaims", "{reclaim}", "Times the server gave memory back after a busy spell (a full collection and the transport's free blocks let go).");

    internal static KeyValuePair<string, object?> Result(bool ok) => new("result", ok ? "ok" : "failed");

    internal static KeyValuePair<string, object?> Kind(string kind) => new("kind", kind);
}
