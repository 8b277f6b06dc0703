using System.Text.Json.Serialization;

namespace Chat.LoadGen.Coordinator;

internal sealed record RoomRequest(string Name);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RoomRequest))]
internal sealed partial class CoordinatorJson : JsonSerializerContext;
