using System.Globalization;
using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Channels;
using Chat.Server.Contract;

namespace Chat.Server.Sockets;

/// <summary>
/// The chat's socket (the seed's <c>user_socket.ex</c>): a client connects with its token,
/// as the <c>token</c> param or as phoenix.js's <c>authToken</c>, and may then join rooms.
/// </summary>
public sealed class UserSocket : SocketHandler
{
    /// <summary>The assign that holds the verified <see cref="ChatUser"/>.</summary>
    public const string UserAssign = "user";

    private readonly TokenService _tokens;
    private readonly TimeProvider _clock;

    public UserSocket(TokenService tokens, TimeProvider clock)
    {
        _tokens = tokens;
        _clock = clock;
        Channel<RoomChannel>(Topics.RoomPattern);
        Channel<ChatChannel>(Topics.Lobby);
        Channel<UserChannel>(Topics.UserPattern);
    }

    /// <summary>The socket id of a user's sockets; a <c>disconnect</c> broadcast to it signs the user out everywhere.</summary>
    public static string SocketId(long userId) => "user_socket:" + userId.ToString(CultureInfo.InvariantCulture);

    public override async ValueTask<ConnectResult> ConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var token = request.AuthToken ?? request.Params.GetValueOrDefault("token");
        var check = await _tokens.CheckAsync(token).ConfigureAwait(false);
        if (check is not { User: { } user, Expires: { } expires })
        {
            return ConnectResult.Refuse();
        }

        // The socket lives no longer than its token: it is closed with 4001 when the token
        // expires. The leeway that tokens get for clocks that differ is no reason to open a
        // socket only to close it at once, so an expired token is refused here without it.
        var expiresAt = new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc));
        return expiresAt <= _clock.GetUtcNow()
            ? ConnectResult.Refuse()
            : ConnectResult.Ok(new Dictionary<string, object?> { [UserAssign] = user }, SocketId(user.Id), expiresAt);
    }
}
