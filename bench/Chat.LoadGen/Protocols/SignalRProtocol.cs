namespace Chat.LoadGen.Protocols;

/// <summary>
/// ASP.NET Core SignalR's JSON hub protocol over a WebSocket opened straight away (the client's
/// <c>SkipNegotiation</c>): the token as <c>access_token</c>, the handshake
/// <c>{"protocol":"json","version":1}</c>, records ended by 0x1E, invocations of the hub's
/// <c>Join</c> and <c>Send</c> answered by completions, and a ping every 15 s as the .NET and
/// JavaScript clients send by default. Join number j is invocation id j + 1.
/// </summary>
internal sealed class SignalRProtocol : ChatProtocol
{
    private const byte RecordSeparator = 0x1E;

    public override string Name => "signalr";

    public override TimeSpan? HeartbeatPeriod => TimeSpan.FromSeconds(15);

    public override string PathAndQuery(string token) => $"/chat?access_token={token}";

    public override void OnOpen(IProtocolSession session) =>
        session.Send("{\"protocol\":\"json\",\"version\":1}\u001e"u8);

    public override void WriteJoin(ref Utf8Writer writer, int joinIndex, string room)
    {
        writer.Append("{\"type\":1,\"invocationId\":\"");
        writer.Append(joinIndex + 1);
        writer.Append("\",\"target\":\"Join\",\"arguments\":[\"");
        writer.Append(room);
        writer.Append("\"]}");
        writer.Append(RecordSeparator);
    }

    public override void WriteSend(ref Utf8Writer writer, int joinIndex, string room, long reference, ReadOnlySpan<byte> content, ReadOnlySpan<byte> clientId)
    {
        writer.Append("{\"type\":1,\"invocationId\":\"");
        writer.Append(reference);
        writer.Append("\",\"target\":\"Send\",\"arguments\":[\"");
        writer.Append(room);
        writer.Append("\",\"");
        writer.Append(content);
        writer.Append("\",\"");
        writer.Append(clientId);
        writer.Append("\"]}");
        writer.Append(RecordSeparator);
    }

    public override bool WriteHeartbeat(ref Utf8Writer writer, long reference)
    {
        writer.Append("{\"type\":6}");
        writer.Append(RecordSeparator);
        return true;
    }

    public override void OnMessage(IProtocolSession session, ReadOnlySpan<byte> payload)
    {
        // The server may put several records in one frame.
        while (!payload.IsEmpty)
        {
            var end = payload.IndexOf(RecordSeparator);
            if (end < 0)
            {
                return;
            }

            OnRecord(session, payload[..end]);
            payload = payload[(end + 1)..];
        }
    }

    private static void OnRecord(IProtocolSession session, ReadOnlySpan<byte> record)
    {
        if (record.SequenceEqual("{}"u8))
        {
            session.Ready(); // the handshake response
        }
        else if (record.StartsWith("{\"type\":1,"u8))
        {
            if (record.IndexOf("\"target\":\"new_msg\""u8) >= 0)
            {
                session.Delivered(record);
            }
        }
        else if (record.StartsWith("{\"type\":3,"u8))
        {
            var at = record.IndexOf("\"invocationId\":\""u8);
            var number = at < 0 ? -1 : ReadNumber(record[(at + 16)..]);
            Answer(session, number, record.IndexOf("\"error\":"u8) < 0, record);
        }
        else if (record.StartsWith("{\"type\":7"u8) || record.StartsWith("{\"error\":"u8))
        {
            session.Failed(System.Text.Encoding.UTF8.GetString(record));
        }
    }
}
