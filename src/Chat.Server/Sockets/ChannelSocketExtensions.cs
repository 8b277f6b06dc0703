using Chat.Channels;
using Chat.Server.Auth;

namespace Chat.Server.Sockets;

public static class ChannelSocketExtensions
{
    /// <summary>The signed-in user of the socket: the only source of identity in a channel.</summary>
    public static ChatUser CurrentUser(this ChannelSocket socket) => socket.Get<ChatUser>(UserSocket.UserAssign);
}
