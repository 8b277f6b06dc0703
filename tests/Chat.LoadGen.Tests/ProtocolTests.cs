using System.Text;
using Chat.LoadGen.Protocols;

namespace Chat.LoadGen.Tests;

/// <summary>Each protocol classifies what its server sends, byte for byte as the server sends it.</summary>
public class ProtocolTests
{
    private static RecordingSession Feed(ChatProtocol protocol, params string[] frames)
    {
        var session = new RecordingSession();
        foreach (var frame in frames)
        {
            protocol.OnMessage(session, Encoding.UTF8.GetBytes(frame));
        }

        return session;
    }

    [Fact]
    public void Phoenix_tells_join_replies_acks_errors_and_broadcasts_apart()
    {
        var session = Feed(new PhoenixProtocol(),
            """["1","1","room:a","phx_reply",{"status":"ok","response":{"messages":[{"content":"#t=5;1;xx"}]}}]""",
            """[null,"1000","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            """["1","1001","room:a","phx_reply",{"status":"ok","response":{"message":{"id":1,"content":"#t=42;1;xx"}}}]""",
            """["1","1002","room:a","phx_reply",{"status":"error","response":{"reason":"rate_limited"}}]""",
            """[null,null,"room:a","new_msg",{"id":1,"content":"#t=42;1;xx"}]""",
            """[null,null,"room:a","presence_diff",{"joins":{},"leaves":{}}]""",
            """["2","2","room:b","phx_reply",{"status":"error","response":{"reason":"room not found"}}]""");

        Assert.Equal(["joined 0 ok", "acked 42", "send failed", "delivered 42", "joined 1 error"], session.Events);
    }

    [Fact]
    public void Phoenix_writes_what_phoenix_js_sends()
    {
        var buffer = new byte[512];
        var writer = new Utf8Writer(buffer);
        new PhoenixProtocol().WriteSend(ref writer, 1, "bench-3", 1005, "#t=1;1;x"u8, "abc-1"u8);
        Assert.Equal("""["2","1005","room:bench-3","new_msg",{"content":"#t=1;1;x","client_id":"abc-1"}]""", Encoding.UTF8.GetString(writer.Written));
    }

    [Fact]
    public void SignalR_reads_every_record_of_a_frame()
    {
        var protocol = new SignalRProtocol();
        var session = new RecordingSession();
        protocol.OnOpen(session);
        protocol.OnMessage(session, Encoding.UTF8.GetBytes("{}\u001e"));
        protocol.OnMessage(session, Encoding.UTF8.GetBytes(
            "{\"type\":3,\"invocationId\":\"1\",\"result\":null}\u001e" +
            "{\"type\":1,\"target\":\"new_msg\",\"arguments\":[{\"content\":\"#t=7;1;x\"}]}\u001e" +
            "{\"type\":1,\"target\":\"new_msg\",\"arguments\":[{\"content\":\"#t=8;2;x\"}]}\u001e" +
            "{\"type\":6}\u001e" +
            "{\"type\":3,\"invocationId\":\"1001\",\"result\":{\"content\":\"#t=7;1;x\"}}\u001e" +
            "{\"type\":3,\"invocationId\":\"1002\",\"error\":\"An unexpected error occurred invoking 'Send' on the server.\"}\u001e"));

        Assert.Equal(["{\"protocol\":\"json\",\"version\":1}\u001e"], session.Sent);
        Assert.Equal(["ready", "joined 0 ok", "delivered 7", "delivered 8", "acked 7", "send failed"], session.Events);
    }

    [Fact]
    public void SocketIo_connects_with_the_token_answers_pings_and_reads_acks()
    {
        var session = Feed(new SocketIoProtocol(),
            """0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}""",
            """40{"sid":"def"}""",
            "2",
            """431[{"ok":true}]""",
            """42["new_msg",{"id":1,"content":"#t=9;1;x"}]""",
            """431001[{"message":{"id":1,"content":"#t=9;1;x"}}]""",
            """431002[{"error":"invalid message"}]""",
            """44{"message":"unauthorized"}""");

        Assert.Equal(["""40{"token":"the-token"}""", "3"], session.Sent);
        Assert.Equal(["ready", "joined 0 ok", "delivered 9", "acked 9", "send failed", """failed connect error {"message":"unauthorized"}"""], session.Events);
    }

    [Fact]
    public void A_stamp_survives_the_round_trip_through_the_content()
    {
        var buffer = new byte[256];
        var writer = new Utf8Writer(buffer);
        Stamp.WriteContent(ref writer, 123_456_789_012, 77, 100);

        Assert.Equal(100, writer.Length);
        Assert.StartsWith("#t=123456789012;77;x", Encoding.UTF8.GetString(writer.Written), StringComparison.Ordinal);
        Assert.True(Stamp.TryRead(writer.Written, out var ticks));
        Assert.Equal(123_456_789_012, ticks);
        Assert.False(Stamp.TryRead("no stamp"u8, out _));
    }
}
