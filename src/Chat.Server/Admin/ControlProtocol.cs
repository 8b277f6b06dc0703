using System.Text.Json.Serialization;

namespace Chat.Server.Admin;

// The control socket speaks one JSON object per line each way: a request, then its answer.

/// <summary>What an admin command asks the node on its machine.</summary>
/// <param name="Command"><c>sign_out_user</c> or <c>stats</c>.</param>
/// <param name="UserId">For <c>sign_out_user</c>: whose sockets to close.</param>
/// <param name="RevokedBefore">For <c>sign_out_user</c>: the user's tokens issued until then are revoked first.</param>
public sealed record ControlRequest(string Command, long? UserId = null, DateTime? RevokedBefore = null)
{
    public const string SignOutUser = "sign_out_user";
    public const string Stats = "stats";
}

/// <summary>The node's answer: ok, or an error; <see cref="Node"/> for <c>stats</c>.</summary>
public sealed record ControlResponse(bool Ok, string? Error = null, NodeStatus? Node = null);

/// <summary>What a running node reports about itself.</summary>
public sealed record NodeStatus(
    string Version, DateTime StartedAt, int ProcessId, long WorkingSetBytes, int ConnectedSockets, long JoinedChannels);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
