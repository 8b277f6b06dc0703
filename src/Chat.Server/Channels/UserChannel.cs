using Chat.Channels;
using Chat.ReadMarkers;
using Chat.Server.Contract;
using Chat.Server.Sockets;

namespace Chat.Server.Channels;

/// <summary>
/// <c>user:{id}</c> (CONTRACT.md §5): one user's own topic, joined by each of their devices.
/// It carries <c>mention</c> when a message names the user and <c>read</c> when a read marker
/// moves, so every device keeps the same badges. Only that user may join it; the join reply
/// is their unread state in every room they have read or been mentioned in.
/// </summary>
public sealed class UserChannel(ReadMarkerService markers) : Channel
{
    public override async ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket)
    {
        var user = socket.CurrentUser();
        if (Topics.UserId(topic) != user.Id)
        {
            return JoinResult.Error(ChannelReplies.Unauthorized);
        }

        return JoinResult.Ok(new UnreadResponse(await markers.ListUnreadAsync(user.Id)));
    }
}
