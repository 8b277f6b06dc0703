namespace Chat.LoadGen.Protocols;

/// <summary>What a protocol reports to the client session that owns the socket.</summary>
internal interface IProtocolSession
{
    /// <summary>The user's token (HS256 JWT), for protocols that carry it after the upgrade.</summary>
    string Token { get; }

    /// <summary>Sends one text message on the socket.</summary>
    void Send(ReadOnlySpan<byte> payload);

    /// <summary>The protocol's own handshake is done: joins may be sent.</summary>
    void Ready();

    /// <summary>The reply to join number <paramref name="joinIndex"/>.</summary>
    void Joined(int joinIndex, bool ok, ReadOnlySpan<byte> record);

    /// <summary>A chat message broadcast to a room this socket is in.</summary>
    void Delivered(ReadOnlySpan<byte> record);

    /// <summary>The server's acknowledgement of a send of this socket, carrying the stored message.</summary>
    void Acked(ReadOnlySpan<byte> record);

    /// <summary>An error reply to a send of this socket.</summary>
    void SendFailed(ReadOnlySpan<byte> record);

    /// <summary>The number of users present in a room, where the server tells it (Phoenix's <c>presence_count</c> in big rooms).</summary>
    void PresenceCounted(long count);

    /// <summary>The session cannot go on (handshake refused, server error).</summary>
    void Failed(string reason);
}

/// <summary>
/// One peer's wire protocol, as its own client library speaks it for a chat: how to connect,
/// join a room, send a message and keep the socket alive, and what each incoming record is.
/// Stateless: per-socket state lives in the session. Records are classified by their first
/// bytes and a few markers, never by decoding the JSON.
/// </summary>
internal abstract class ChatProtocol
{
    /// <summary>References below this are joins; sends count up from it.</summary>
    public const long FirstSendReference = 1000;

    public abstract string Name { get; }

    /// <summary>The upgrade request's path and query for a user with <paramref name="token"/>.</summary>
    public abstract string PathAndQuery(string token);

    /// <summary>How often the client library sends its own keep-alive; null when the server drives it.</summary>
    public abstract TimeSpan? HeartbeatPeriod { get; }

    /// <summary>Right after the upgrade: send the protocol's handshake, or report ready.</summary>
    public abstract void OnOpen(IProtocolSession session);

    public abstract void OnMessage(IProtocolSession session, ReadOnlySpan<byte> payload);

    public abstract void WriteJoin(ref Utf8Writer writer, int joinIndex, string room);

    /// <summary>A chat message with <paramref name="content"/> (stamped) to room number <paramref name="joinIndex"/> of this socket.</summary>
    public abstract void WriteSend(ref Utf8Writer writer, int joinIndex, string room, long reference, ReadOnlySpan<byte> content, ReadOnlySpan<byte> clientId);

    /// <summary>The keep-alive message; false when the protocol has none from the client.</summary>
    public abstract bool WriteHeartbeat(ref Utf8Writer writer, long reference);

    public static ChatProtocol For(string name) => name switch
    {
        "phoenix" => new PhoenixProtocol(),
        "signalr" => new SignalRProtocol(),
        "socketio" => new SocketIoProtocol(),
        _ => throw new ArgumentException($"unknown protocol {name}; known: phoenix, signalr, socketio"),
    };

    /// <summary>Routes the server's answer to the request numbered <paramref name="reference"/>: a join's, or a send's.</summary>
    protected static void Answer(IProtocolSession session, long reference, bool ok, ReadOnlySpan<byte> record)
    {
        if (reference is > 0 and < FirstSendReference)
        {
            session.Joined((int)reference - 1, ok, record);
        }
        else if (ok)
        {
            session.Acked(record);
        }
        else
        {
            session.SendFailed(record);
        }
    }

    /// <summary>Reads an unsigned decimal number at the start of <paramref name="digits"/>; -1 if none.</summary>
    protected static long ReadNumber(ReadOnlySpan<byte> digits)
    {
        long value = -1;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                break;
            }

            value = (value < 0 ? 0 : value * 10) + (c - '0');
        }

        return value;
    }
}
