using System.Text.Json.Serialization;

namespace Chat.LoadGen.Coordinator;

internal sealed record RoomRequest(string Name);

/// <summary>What Node's process.memoryUsage() answers (the Socket.IO peer's GC hook), in bytes.</summary>
internal sealed record NodeMemoryUsage(long Rss, long HeapTotal, long HeapUsed, long External, long ArrayBuffers);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RoomRequest))]
internal sealed partial class CoordinatorJson : JsonSerializerContext;

/// <summary>Node's memoryUsage() keys are camelCase, unlike the chat's API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NodeMemoryUsage))]
internal sealed partial class NodeJson : JsonSerializerContext;
