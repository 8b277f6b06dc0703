namespace Chat.Channels;

/// <summary>
/// What <see cref="Channel.JoinAsync"/> decides: admit the client (optionally with a reply)
/// or refuse it with a reply. Phoenix's <c>{:ok, socket}</c>, <c>{:ok, reply, socket}</c>
/// and <c>{:error, reply}</c>.
/// </summary>
public sealed class JoinResult
{
    private JoinResult(bool joined, object? response, long sequencedThrough = 0)
    {
        IsJoined = joined;
        Response = response;
        SequencedThrough = sequencedThrough;
    }

    /// <summary>True when the client was admitted to the topic.</summary>
    public bool IsJoined { get; }

    /// <summary>The reply payload: a serializable value, a <see cref="Payload"/>, or <c>null</c> for <c>{}</c>.</summary>
    public object? Response { get; }

    /// <summary>Admits the client; the reply is <c>{}</c>.</summary>
    public static JoinResult Ok() => new(true, null);

    /// <summary>
    /// The position (<see cref="PubSub.BroadcastSequence.Current"/>) through which the reply
    /// already gave the client everything; 0 when it says nothing of sequenced broadcasts.
    /// </summary>
    public long SequencedThrough { get; }

    /// <summary>Admits the client with a reply.</summary>
    public static JoinResult Ok(object? response) => new(true, response);

    /// <summary>
    /// Admits the client with a reply that already holds every sequenced broadcast of the
    /// topic through <paramref name="sequencedThrough"/> (a room's messages through an id, say).
    /// The channel subscribes before the join reads anything, so a broadcast of something the
    /// reply also holds may be on its way; such broadcasts are not sent to this channel, and
    /// the client gets each once.
    /// </summary>
    public static JoinResult Ok(object? response, long sequencedThrough) => new(true, response, sequencedThrough);

    /// <summary>Refuses the client with a reply such as <c>{"reason": "unauthorized"}</c>.</summary>
    public static JoinResult Error(object? response) => new(false, response);
}
