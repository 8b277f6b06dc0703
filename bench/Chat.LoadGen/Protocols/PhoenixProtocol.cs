namespace Chat.LoadGen.Protocols;

/// <summary>
/// Phoenix Channels, serializer V2 (JSON arrays <c>[join_ref, ref, topic, event, payload]</c>),
/// as phoenix.js speaks it: the token as a connect param, a heartbeat on topic <c>phoenix</c>
/// every 30 s, <c>phx_join</c> per topic, and <c>new_msg</c> pushes answered by
/// <c>phx_reply</c>. Join number j uses join_ref = ref = j + 1.
/// </summary>
internal sealed class PhoenixProtocol : ChatProtocol
{
    public override string Name => "phoenix";

    public override TimeSpan? HeartbeatPeriod => TimeSpan.FromSeconds(30);

    public override string PathAndQuery(string token) => $"/socket/websocket?vsn=2.0.0&token={token}";

    public override void OnOpen(IProtocolSession session) => session.Ready();

    public override void WriteJoin(ref Utf8Writer writer, int joinIndex, string room)
    {
        writer.Append("[\"");
        writer.Append(joinIndex + 1);
        writer.Append("\",\"");
        writer.Append(joinIndex + 1);
        writer.Append("\",\"room:");
        writer.Append(room);
        writer.Append("\",\"phx_join\",{}]");
    }

    public override void WriteSend(ref Utf8Writer writer, int joinIndex, string room, long reference, ReadOnlySpan<byte> content, ReadOnlySpan<byte> clientId)
    {
        writer.Append("[\"");
        writer.Append(joinIndex + 1);
        writer.Append("\",\"");
        writer.Append(reference);
        writer.Append("\",\"room:");
        writer.Append(room);
        writer.Append("\",\"new_msg\",{\"content\":\"");
        writer.Append(content);
        writer.Append("\",\"client_id\":\"");
        writer.Append(clientId);
        writer.Append("\"}]");
    }

    public override bool WriteHeartbeat(ref Utf8Writer writer, long reference)
    {
        writer.Append("[null,\"");
        writer.Append(reference);
        writer.Append("\",\"phoenix\",\"heartbeat\",{}]");
        return true;
    }

    public override void OnMessage(IProtocolSession session, ReadOnlySpan<byte> payload)
    {
        // [join_ref, ref, "topic", "event", payload]: read the four heads, never the payload.
        if (payload.IsEmpty || payload[0] != (byte)'[')
        {
            return;
        }

        var rest = payload[1..];
        if (!NextElement(ref rest, out _) || !NextElement(ref rest, out var reference)
            || !NextElement(ref rest, out var topic) || !NextElement(ref rest, out var @event))
        {
            return;
        }

        if (@event.SequenceEqual("new_msg"u8))
        {
            session.Delivered(rest);
            return;
        }

        if (@event.SequenceEqual("presence_count"u8))
        {
            // {"count":N}: how many are present in a room too big to list in full.
            var at = rest.IndexOf("\"count\":"u8);
            if (at >= 0)
            {
                session.PresenceCounted(ReadNumber(rest[(at + 8)..]));
            }

            return;
        }

        if (!@event.SequenceEqual("phx_reply"u8) || topic.SequenceEqual("phoenix"u8))
        {
            // presence_state, presence_diff, heartbeat replies: nothing to count.
            if (@event.SequenceEqual("phx_error"u8) || @event.SequenceEqual("phx_close"u8))
            {
                session.Failed($"{System.Text.Encoding.UTF8.GetString(@event)} on {System.Text.Encoding.UTF8.GetString(topic)}");
            }

            return;
        }

        Answer(session, ReadNumber(reference), rest.IndexOf("\"status\":\"ok\""u8) >= 0, rest);
    }

    /// <summary>Reads one array element that is <c>null</c> or a string without escapes, and the comma after it.</summary>
    private static bool NextElement(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (rest.StartsWith("null,"u8))
        {
            rest = rest[5..];
            return true;
        }

        if (rest.IsEmpty || rest[0] != (byte)'"')
        {
            return false;
        }

        var end = rest[1..].IndexOf((byte)'"');
        if (end < 0 || rest.Length < end + 3)
        {
            return false;
        }

        value = rest.Slice(1, end);
        rest = rest[(end + 3)..];
        return true;
    }
}
