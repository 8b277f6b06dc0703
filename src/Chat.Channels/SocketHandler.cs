using Chat.Channels.Internal;

namespace Chat.Channels;

/// <summary>
/// Authenticates sockets and routes their topics to channels: the C# counterpart of a
/// Phoenix <c>UserSocket</c>.
/// </summary>
/// <example>
/// <code>
/// public sealed class UserSocket : SocketHandler
/// {
///     public UserSocket()
///     {
///         Channel&lt;RoomChannel&gt;("room:*");
///     }
///
///     public override ValueTask&lt;ConnectResult&gt; ConnectAsync(ConnectRequest request, CancellationToken ct) =>
///         ValueTask.FromResult(IsValid(request.AuthToken)
///             ? ConnectResult.Ok(new Dictionary&lt;string, object?&gt; { ["user_id"] = 42 }, id: "user_socket:42")
///             : ConnectResult.Refuse());
/// }
/// </code>
/// </example>
/// <remarks>
/// One instance serves every socket, so it holds no per-connection state: that belongs
/// in the assigns returned by <see cref="ConnectAsync"/>.
/// </remarks>
public abstract class SocketHandler
{
    internal ChannelRouter Router { get; } = new();

    /// <summary>
    /// Decides whether a socket may open. Runs once per connection, before the WebSocket
    /// upgrade; a refusal answers HTTP 403.
    /// </summary>
    public abstract ValueTask<ConnectResult> ConnectAsync(ConnectRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Routes topics to a channel type: an exact topic (<c>chat:lobby</c>) or a prefix ending
    /// in <c>*</c> (<c>room:*</c>). The first matching route wins. A new channel instance is
    /// created, with dependency injection, for every join.
    /// </summary>
    protected void Channel<TChannel>(string topicPattern)
        where TChannel : Channel =>
        Router.Add(topicPattern, typeof(TChannel));
}
