using Chat.Channels.Internal;

namespace Chat.Channels;

/// <summary>
/// Names one client message so it can be answered later, from outside the channel's
/// callback (Phoenix's <c>socket_ref</c>): start the work, return
/// <see cref="InResult.NoReply"/>, and call <see cref="Reply(string, object?)"/> when it is done.
/// </summary>
public sealed class SocketRef
{
    private readonly SocketConnection _connection;

    internal SocketRef(SocketConnection connection, string topic, string? joinRef, string? @ref)
    {
        _connection = connection;
        Topic = topic;
        JoinRef = joinRef;
        Ref = @ref;
    }

    /// <summary>The topic of the message.</summary>
    public string Topic { get; }

    /// <summary>The join the message belongs to.</summary>
    public string? JoinRef { get; }

    /// <summary>The client's reference of the message; the reply carries it back.</summary>
    public string? Ref { get; }

    /// <summary>Replies to the message. Safe from any thread; does nothing once the socket has closed.</summary>
    public void Reply(string status, object? response = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        _connection.SendReply(JoinRef, Ref, Topic, status, response);
    }

    /// <summary>
    /// Replies to the message with a response that is already encoded, as
    /// <see cref="Reply(string, object?)"/> does, without boxing it on the way.
    /// </summary>
    public void Reply(string status, Payload response)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        _connection.SendReply(JoinRef, Ref, Topic, status, response);
    }
}
