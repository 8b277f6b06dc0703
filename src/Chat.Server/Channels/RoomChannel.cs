using System.Text.Json;
using Chat.Channels;
using Chat.Server.Sockets;

namespace Chat.Server.Channels;

/// <summary>
/// <c>room:{slug}</c>. This first cut relays messages without storing them; persistence,
/// history and presence arrive with the chat context.
/// </summary>
public sealed class RoomChannel : Channel
{
    private const int MaxContentLength = 4000;

    public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        var slug = topic["room:".Length..];
        var valid = slug.Length is > 0 and <= 80 && slug.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
        return ValueTask.FromResult(valid ? JoinResult.Ok() : JoinResult.Error(new ReasonReply("room not found")));
    }

    public override async ValueTask<InResult> HandleInAsync(string @event, Payload payload, ChannelSocket socket)
    {
        if (@event != "new_msg" || payload.IsBinary)
        {
            return InResult.Error(new ReasonReply("unknown event"));
        }

        var json = payload.ToJsonElement();
        var content = json.TryGetProperty("content", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!.Trim()
            : "";
        if (content.Length is 0 or > MaxContentLength)
        {
            return InResult.Error(new { errors = new Dictionary<string, string[]> { ["content"] = [content.Length == 0 ? "can't be blank" : $"should be at most {MaxContentLength} character(s)"] } });
        }

        var user = socket.CurrentUser();
        var message = new { content, user_id = user.Id, username = user.Username };
        await socket.BroadcastAsync("new_msg", message);
        return InResult.Ok(new { message });
    }

    private sealed record ReasonReply(string Reason);
}
