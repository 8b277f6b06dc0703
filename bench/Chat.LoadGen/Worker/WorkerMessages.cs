using System.Text.Json.Serialization;

namespace Chat.LoadGen.Worker;

/// <summary>What a worker is: its share of the sockets, and how they map to users and rooms.</summary>
internal sealed record WorkerConfig
{
    public int Worker { get; init; }
    public required string Protocol { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; }

    /// <summary>The 127.0.0.x this worker connects from: each address has its own ~28k ephemeral ports.</summary>
    public required string LocalAddress { get; init; }

    /// <summary>The global index of this worker's first socket; socket g is user g + 1.</summary>
    public long FirstSocket { get; init; }
    public int Count { get; init; }
    public required string SigningKey { get; init; }
    public required RoomLayout Layout { get; init; }

    public const int DefaultConcurrency = 64;

    /// <summary>Connects (upgrade, handshake and joins) in flight at once.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;
    public int ContentBytes { get; init; } = 100;

    /// <summary>Send the protocol's client keep-alive (Phoenix heartbeats, SignalR pings).</summary>
    public bool Heartbeats { get; init; } = true;
}

/// <summary>
/// Which rooms each socket joins: socket g is in room <c>g mod Rooms</c> and, with two rooms per
/// socket, also in <c>(7g + 3) mod Rooms</c>, a second set of members that shares no room with
/// the first (7g + 3 ≡ g would need 6g + 3 ≡ 0, odd against an even count).
/// </summary>
internal sealed record RoomLayout
{
    public int Rooms { get; init; } = 1;
    public int RoomsPerSocket { get; init; } = 1;
    public string Prefix { get; init; } = "bench";

    public string RoomName(int room) => $"{Prefix}-{room}";

    public int RoomOf(long socket, int joinIndex) => joinIndex == 0
        ? (int)(socket % Rooms)
        : (int)((7 * socket + 3) % Rooms);
}

/// <summary>A command from the coordinator, one JSON line on the worker's standard input.</summary>
internal sealed record WorkerCommand
{
    public required string Cmd { get; init; }
    public WorkerConfig? Config { get; init; }

    /// <summary>Open loop: messages per second from this worker, all its senders together.</summary>
    public double Rate { get; init; }
    public double Seconds { get; init; }

    /// <summary>Sockets that send: the first <c>Senders</c> of the worker; -1 for all.</summary>
    public int Senders { get; init; } = -1;

    /// <summary>Closed loop: sends each sender keeps unacknowledged.</summary>
    public int InFlight { get; init; }
}

/// <summary>A worker's counters; the coordinator sums them.</summary>
internal sealed record WorkerStats
{
    public int Worker { get; init; }
    public long Opened { get; init; }
    public long Joined { get; init; }
    public long Failed { get; init; }
    public long Lost { get; init; }
    public long Sent { get; init; }
    public long Acked { get; init; }
    public long SendErrors { get; init; }
    public long Delivered { get; init; }
    public long HeartbeatsSent { get; init; }
    public bool Opening { get; init; }
    public bool Sending { get; init; }
    public long MaxSendLagMicros { get; init; }
    public long FirstSendTicks { get; init; }
    public long LastDeliveryTicks { get; init; }
    public long LastAckTicks { get; init; }
    public double CpuSeconds { get; init; }
    public long MaxPresenceCount { get; init; }
    public Dictionary<string, long> Errors { get; init; } = [];
}

internal sealed record WorkerHistograms
{
    public required long[] Delivery { get; init; }
    public required long[] Ack { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkerCommand))]
[JsonSerializable(typeof(WorkerStats))]
[JsonSerializable(typeof(WorkerHistograms))]
internal sealed partial class WorkerJson : JsonSerializerContext;
