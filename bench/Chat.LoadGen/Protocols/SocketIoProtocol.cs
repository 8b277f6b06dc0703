namespace Chat.LoadGen.Protocols;

/// <summary>
/// Socket.IO 4 over Engine.IO 4 on a WebSocket from the start (<c>transport=websocket</c>, as the
/// client does with <c>transports: ["websocket"]</c>): the open packet <c>0{…}</c>, then the
/// CONNECT packet <c>40</c> carrying the token as its auth payload, events <c>42[…]</c> with an
/// ack id where the client wants an answer, acks <c>43id[…]</c>, and the server's pings
/// <c>2</c> answered with <c>3</c> (Engine.IO 4: the server drives the heartbeat). Join number j
/// uses ack id j + 1.
/// </summary>
internal sealed class SocketIoProtocol : ChatProtocol
{
    public override string Name => "socketio";

    public override TimeSpan? HeartbeatPeriod => null;

    public override string PathAndQuery(string token) => "/socket.io/?EIO=4&transport=websocket";

    public override void OnOpen(IProtocolSession session)
    {
        // Wait for the open packet.
    }

    public override void WriteJoin(ref Utf8Writer writer, int joinIndex, string room)
    {
        writer.Append("42");
        writer.Append(joinIndex + 1);
        writer.Append("[\"join\",\"");
        writer.Append(room);
        writer.Append("\"]");
    }

    public override void WriteSend(ref Utf8Writer writer, int joinIndex, string room, long reference, ReadOnlySpan<byte> content, ReadOnlySpan<byte> clientId)
    {
        writer.Append("42");
        writer.Append(reference);
        writer.Append("[\"new_msg\",\"");
        writer.Append(room);
        writer.Append("\",\"");
        writer.Append(content);
        writer.Append("\",\"");
        writer.Append(clientId);
        writer.Append("\"]");
    }

    public override bool WriteHeartbeat(ref Utf8Writer writer, long reference) => false;

    public override void OnMessage(IProtocolSession session, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        switch (payload[0])
        {
            case (byte)'2': // ping
                session.Send("3"u8);
                return;
            case (byte)'0': // open: connect to the main namespace with the token
                Span<byte> buffer = stackalloc byte[64 + session.Token.Length];
                var writer = new Utf8Writer(buffer);
                writer.Append("40{\"token\":\"");
                writer.Append(session.Token);
                writer.Append("\"}");
                session.Send(writer.Written);
                return;
            case (byte)'1': // close
                session.Failed("engine.io close packet");
                return;
            case (byte)'4':
                break;
            default:
                return;
        }

        if (payload.Length < 2)
        {
            return;
        }

        var body = payload[2..];
        switch (payload[1])
        {
            case (byte)'0': // CONNECT answered
                session.Ready();
                break;
            case (byte)'4': // CONNECT_ERROR
                session.Failed($"connect error {System.Text.Encoding.UTF8.GetString(body)}");
                break;
            case (byte)'1': // DISCONNECT
                session.Failed("disconnected by the server");
                break;
            case (byte)'2': // EVENT
                if (body.StartsWith("[\"new_msg\""u8))
                {
                    session.Delivered(body);
                }

                break;
            case (byte)'3': // ACK
                Answer(session, ReadNumber(body), body.IndexOf("\"error\""u8) < 0, body);

                break;
        }
    }
}
