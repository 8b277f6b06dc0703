namespace Chat.Channels;

/// <summary>Why a channel ended.</summary>
public enum TerminateKind
{
    /// <summary>The client sent <c>phx_leave</c>.</summary>
    Left,

    /// <summary>The socket closed, for whatever reason (client gone, idle, protocol error, forced disconnect).</summary>
    Closed,

    /// <summary>The client joined the same topic again on the same socket; the old channel makes way.</summary>
    DuplicateJoin,

    /// <summary>The server is shutting down.</summary>
    Shutdown,

    /// <summary>The channel itself asked to stop (<see cref="InResult.Stop"/> or <see cref="ChannelSocket.Stop"/>).</summary>
    Stopped,

    /// <summary>A callback threw; the client got <c>phx_error</c>.</summary>
    Crashed,

    /// <summary>
    /// The channel may have missed broadcasts (its pubsub lost them: a backplane outage); the
    /// client got <c>phx_error</c> and rejoins, catching up in its join.
    /// </summary>
    Interrupted,
}

/// <summary>The reason handed to <see cref="Channel.TerminateAsync"/>.</summary>
/// <param name="Kind">The kind of ending.</param>
/// <param name="Detail">The channel's own stop reason, when it stopped itself.</param>
/// <param name="Exception">The exception, when the channel crashed.</param>
public sealed record TerminateReason(TerminateKind Kind, string? Detail = null, Exception? Exception = null)
{
    /// <summary>The client left.</summary>
    public static readonly TerminateReason Left = new(TerminateKind.Left);

    /// <summary>The socket closed.</summary>
    public static readonly TerminateReason Closed = new(TerminateKind.Closed);

    /// <summary>A newer join of the same topic replaced this channel.</summary>
    public static readonly TerminateReason DuplicateJoin = new(TerminateKind.DuplicateJoin);

    /// <summary>The server is shutting down.</summary>
    public static readonly TerminateReason Shutdown = new(TerminateKind.Shutdown);

    /// <summary>Broadcasts to the channel may have been lost; its client rejoins.</summary>
    public static readonly TerminateReason Interrupted = new(TerminateKind.Interrupted);
}
