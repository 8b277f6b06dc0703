namespace Chat.Channels;

/// <summary>
/// What <see cref="Channel.JoinAsync"/> decides: admit the client (optionally with a reply)
/// or refuse it with a reply. Phoenix's <c>{:ok, socket}</c>, <c>{:ok, reply, socket}</c>
/// and <c>{:error, reply}</c>.
/// </summary>
public sealed class JoinResult
{
    private JoinResult(bool joined, object? response)
    {
        IsJoined = joined;
        Response = response;
    }

    /// <summary>True when the client was admitted to the topic.</summary>
    public bool IsJoined { get; }

    /// <summary>The reply payload: a serializable value, a <see cref="Payload"/>, or <c>null</c> for <c>{}</c>.</summary>
    public object? Response { get; }

    /// <summary>Admits the client; the reply is <c>{}</c>.</summary>
    public static JoinResult Ok() => new(true, null);

    /// <summary>Admits the client with a reply.</summary>
    public static JoinResult Ok(object? response) => new(true, response);

    /// <summary>Refuses the client with a reply such as <c>{"reason": "unauthorized"}</c>.</summary>
    public static JoinResult Error(object? response) => new(false, response);
}
