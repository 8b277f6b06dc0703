namespace Chat.Channels;

/// <summary>
/// The outcome of <see cref="SocketHandler.ConnectAsync"/>: accept the socket with its
/// assigns and an optional id, or refuse it (the client gets HTTP 403 and no socket).
/// </summary>
public sealed class ConnectResult
{
    private static readonly IReadOnlyDictionary<string, object?> NoAssigns = new Dictionary<string, object?>();
    private static readonly ConnectResult Refused = new(false, NoAssigns, null);

    private ConnectResult(bool accepted, IReadOnlyDictionary<string, object?> assigns, string? id)
    {
        IsAccepted = accepted;
        Assigns = assigns;
        Id = id;
    }

    /// <summary>True when the socket may open.</summary>
    public bool IsAccepted { get; }

    /// <summary>Values every channel of the socket starts with, such as the signed-in user.</summary>
    public IReadOnlyDictionary<string, object?> Assigns { get; }

    /// <summary>
    /// Names the socket, for example <c>user_socket:42</c>. A <c>disconnect</c> broadcast to
    /// this topic closes every socket with the id: that is how a user is signed out everywhere.
    /// </summary>
    public string? Id { get; }

    /// <summary>Accepts the socket.</summary>
    public static ConnectResult Ok(IReadOnlyDictionary<string, object?>? assigns = null, string? id = null) =>
        new(true, assigns ?? NoAssigns, id);

    /// <summary>Refuses the socket.</summary>
    public static ConnectResult Refuse() => Refused;
}
