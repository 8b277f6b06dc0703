namespace Chat.Channels;

/// <summary>
/// The outcome of <see cref="SocketHandler.ConnectAsync"/>: accept the socket with its
/// assigns and an optional id, or refuse it (the client gets HTTP 403 and no socket).
/// </summary>
public sealed class ConnectResult
{
    private static readonly IReadOnlyDictionary<string, object?> NoAssigns = new Dictionary<string, object?>();
    private static readonly ConnectResult Refused = new(false, NoAssigns, null, null);

    private ConnectResult(bool accepted, IReadOnlyDictionary<string, object?> assigns, string? id, DateTimeOffset? expiresAt)
    {
        IsAccepted = accepted;
        Assigns = assigns;
        Id = id;
        ExpiresAt = expiresAt;
    }

    /// <summary>True when the socket may open.</summary>
    public bool IsAccepted { get; }

    /// <summary>Values every channel of the socket starts with, such as the signed-in user. Read once, when the socket opens.</summary>
    public IReadOnlyDictionary<string, object?> Assigns { get; }

    /// <summary>
    /// Names the socket, for example <c>user_socket:42</c>. A <c>disconnect</c> broadcast to
    /// this topic closes every socket with the id: that is how a user is signed out everywhere.
    /// </summary>
    public string? Id { get; }

    /// <summary>
    /// When the socket's credentials expire, such as its token's <c>exp</c>: the socket is closed
    /// then with close code 4001, and the client must connect again with new ones. Null: never.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>Accepts the socket, until <paramref name="expiresAt"/> when that is given.</summary>
    public static ConnectResult Ok(IReadOnlyDictionary<string, object?>? assigns = null, string? id = null, DateTimeOffset? expiresAt = null) =>
        new(true, assigns ?? NoAssigns, id, expiresAt);

    /// <summary>Refuses the socket.</summary>
    public static ConnectResult Refuse() => Refused;
}
