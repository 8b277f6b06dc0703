using System.Text.Json.Serialization;

namespace Chat.LoadGen.Report;

/// <summary>Everything one run measured, written as results.json beside the table and the chart.</summary>
internal sealed record BenchResults
{
    public required string StartedAt { get; init; }
    public required string Commit { get; init; }
    public required string Machine { get; init; }
    public required string Command { get; init; }
    public bool Quick { get; init; }
    public List<FanoutRun> Fanout { get; init; } = [];
    public List<RoomsRun> Rooms { get; init; } = [];
    public List<IdleRun> Idle { get; init; } = [];
    public List<ChatRun> Chat { get; init; } = [];
}

internal sealed record FanoutRun
{
    public required string Peer { get; init; }
    public int Members { get; init; }

    /// <summary>Nodes of ours serving the room, on PostgreSQL and Redis when more than one.</summary>
    public int Nodes { get; init; } = 1;
    public string? Store { get; set; }
    public long Joined { get; set; }
    public double OpenSeconds { get; set; }

    /// <summary>The server's CPU while the room filled (every node and Redis), % of one core.</summary>
    public double OpenServerCpuPercent { get; set; }

    /// <summary>From the first connect until the members on every node were told the room's full presence_count (ours, above the list limit).</summary>
    public double? PresenceSeconds { get; set; }
    public List<FanoutStep> Steps { get; init; } = [];
    public string? Error { get; set; }
}

/// <summary>One step of a fan-out ladder: one offered rate, open loop.</summary>
internal sealed record FanoutStep
{
    public double OfferedDeliveriesPerSecond { get; init; }
    public double SendsPerSecond { get; init; }
    public long Sent { get; init; }
    public long Expected { get; init; }
    public long Delivered { get; init; }
    public double DeliveredFraction { get; init; }
    public double DeliveriesPerSecond { get; init; }
    public Latency Delivery { get; init; } = new();
    public Latency Ack { get; init; } = new();
    public long Acked { get; init; }
    public long SendErrors { get; init; }
    public double ServerCpuPercent { get; init; }
    public double ClientCpuPercent { get; init; }
    public long Lost { get; init; }
    public double MaxSendLagMs { get; init; }
    public bool Saturated { get; init; }
    public string? Errors { get; init; }
}

/// <summary>Percentiles in milliseconds; null where nothing was recorded.</summary>
internal sealed record Latency
{
    public long Count { get; init; }
    public double? P50 { get; init; }
    public double? P90 { get; init; }
    public double? P99 { get; init; }
    public double? Max { get; init; }

    public static Latency Of(Histogram histogram) => new()
    {
        Count = histogram.Count,
        P50 = Ms(histogram.Percentile(50)),
        P90 = Ms(histogram.Percentile(90)),
        P99 = Ms(histogram.Percentile(99)),
        Max = histogram.Count == 0 ? null : histogram.Max / 1000.0,
    };

    private static double? Ms(double? micros) => micros / 1000.0;
}

/// <summary>Many small rooms: every member sends to each of its rooms every few seconds.</summary>
internal sealed record RoomsRun
{
    public required string Peer { get; init; }
    public int Sockets { get; init; }
    public int Rooms { get; init; }
    public int RoomSize { get; init; }
    public int RoomsPerSocket { get; init; }
    public long Joined { get; init; }
    public double OpenSeconds { get; init; }
    public double SendsPerSecond { get; init; }
    public long Sent { get; init; }
    public long Expected { get; init; }
    public long Delivered { get; init; }
    public double DeliveredFraction { get; init; }
    public Latency Delivery { get; init; } = new();
    public Latency Ack { get; init; } = new();
    public double ServerCpuPercent { get; init; }
    public double ClientCpuPercent { get; init; }
    public long ServerRssBytes { get; init; }
    public long Lost { get; init; }
    public string? Errors { get; init; }
    public string? Error { get; set; }
}

/// <summary>Idle sockets: what each costs the server in memory and keep-alive CPU.</summary>
internal sealed record IdleRun
{
    public required string Peer { get; init; }
    public int Sockets { get; init; }
    public long Joined { get; init; }
    public double OpenSeconds { get; init; }
    /// <summary>RSS after the warm-up, once the server is at rest (see <see cref="WarmedUpRssBytes"/>) and a forced GC has run.</summary>
    public long BaselineRssBytes { get; init; }

    /// <summary>RSS right after the warm-up's sockets closed, before the server came to rest: what the baseline was read as before it waited.</summary>
    public long WarmedUpRssBytes { get; init; }

    /// <summary>Seconds from the warm-up's close until the server was at rest, and how many memory reclaims it reported meanwhile (ours; null for the others).</summary>
    public double? RestSeconds { get; init; }
    public long? RestReclaims { get; init; }
    public long LoadedRssBytes { get; init; }
    public double RssPerSocketBytes { get; init; }
    public double IdleCpuPercent { get; init; }
    public long HeartbeatsSent { get; init; }
    public int ServerOpenFiles { get; init; }
    public long Lost { get; init; }

    /// <summary>RSS a settle period after every socket closed at once (no forced GC): what a mass disconnect leaves.</summary>
    public long AfterCloseRssBytes { get; set; }
    public bool ForcedGc { get; init; }

    /// <summary>Rooms the sockets are spread over: 100 by default, 1 for one big room, 0 for sockets that join nothing.</summary>
    public int Rooms { get; init; }

    /// <summary>(Live managed heap with N − baseline) / N, after forced full GCs; JavaScript heap for Node.</summary>
    public double? LiveHeapPerSocketBytes { get; init; }

    /// <summary>What the server allocated per socket while the sockets connected and joined (.NET peers).</summary>
    public double? AllocatedPerSocketBytes { get; init; }
    public long? Gen2WhileOpening { get; init; }

    /// <summary>Where the live heap per socket goes, the largest types first (.NET peers).</summary>
    public List<TypeCost>? HeapTypes { get; init; }
    public string? Errors { get; init; }
    public string? Error { get; set; }
}

internal sealed record TypeCost(string Type, double BytesPerSocket, double ObjectsPerSocket);

/// <summary>The whole chat: every member of every room sending, every message stored, acknowledged and broadcast.</summary>
internal sealed record ChatRun
{
    public required string Peer { get; init; }
    public required string Store { get; init; }
    public required string Mode { get; init; }
    public int Rooms { get; init; }
    public int RoomSize { get; init; }
    public int InFlight { get; init; }
    public double OfferedPerSecond { get; init; }
    public long Joined { get; init; }
    public long Sent { get; init; }
    public long Acked { get; init; }
    public long SendErrors { get; init; }
    public double AckedPerSecond { get; init; }
    public long Delivered { get; init; }
    public double DeliveriesPerSecond { get; init; }
    public Latency Ack { get; init; } = new();
    public Latency Delivery { get; init; } = new();
    public double ServerCpuPercent { get; init; }
    public double ClientCpuPercent { get; init; }
    public long Lost { get; init; }
    public string? Errors { get; init; }
    public string? Error { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchResults))]
internal sealed partial class ResultsJson : JsonSerializerContext;
