using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Tests;

public sealed class SerializerTests
{
    private static readonly V2JsonSerializer V2 = V2JsonSerializer.Instance;
    private static readonly V1JsonSerializer V1 = V1JsonSerializer.Instance;

    private static InboundMessage DecodeText(MessageSerializer serializer, string frame) =>
        serializer.Decode(Encoding.UTF8.GetBytes(frame), isBinary: false);

    private static string Text(OutboundFrame frame)
    {
        Assert.False(frame.IsBinary);
        return Encoding.UTF8.GetString(frame.Data.Span);
    }

    [Fact]
    public void V2_decodes_a_phoenix_js_push()
    {
        var message = DecodeText(V2, """["1","2","room:lobby","new_msg",{"content":"hi ✓"}]""");

        Assert.Equal("1", message.JoinRef);
        Assert.Equal("2", message.Ref);
        Assert.Equal("room:lobby", message.Topic);
        Assert.Equal("new_msg", message.Event);
        Assert.Equal("hi ✓", message.Payload.ToJsonElement().GetProperty("content").GetString());
    }

    [Fact]
    public void V2_accepts_null_refs()
    {
        var message = DecodeText(V2, """[null,"7","phoenix","heartbeat",{}]""");

        Assert.Null(message.JoinRef);
        Assert.Equal("7", message.Ref);
    }

    [Theory]
    [InlineData("""not json""", "malformed")]
    [InlineData("""["1","2","room:lobby","new_msg",{}""", "malformed")]
    [InlineData("""{"topic":"room:lobby"}""", "array")]
    [InlineData("""["1","2","room:lobby","new_msg"]""", "five")]
    [InlineData("""["1","2","room:lobby","new_msg",{},"extra"]""", "five")]
    [InlineData("""[]""", "five")]
    [InlineData("""[1,"2","room:lobby","new_msg",{}]""", "join_ref")]
    [InlineData("""["1",2,"room:lobby","new_msg",{}]""", "ref")]
    [InlineData("""["1","2",42,"new_msg",{}]""", "topic")]
    [InlineData("""["1","2","room:lobby",null,{}]""", "event")]
    [InlineData("""["1","2","room:lobby","new_msg","hello"]""", "payload")]
    [InlineData("""["1","2","room:lobby","new_msg",[1,2]]""", "payload")]
    [InlineData("""["1","2","room:lobby","new_msg",{}] []""", "")]
    public void V2_rejects_frames_that_are_not_messages_with_1007(string frame, string hint)
    {
        var error = Assert.Throws<FrameDecodeException>(() => DecodeText(V2, frame));

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, error.CloseStatus);
        Assert.Contains(hint, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void V2_rejects_invalid_utf8_inside_the_payload()
    {
        var frame = Encoding.UTF8.GetBytes("""["1","2","t","e",{"a":"XX"}]""");
        var at = Array.IndexOf(frame, (byte)'X');
        frame[at] = 0xC3;
        frame[at + 1] = 0x28;

        var error = Assert.Throws<FrameDecodeException>(() => V2.Decode(frame, isBinary: false));

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, error.CloseStatus);
    }

    [Fact]
    public void V2_encodes_replies_as_phx_reply_arrays()
    {
        var frame = V2.EncodeReply("1", "2", "room:lobby", "ok", Payload.FromJson("""{"a":1}"""u8.ToArray()));

        Assert.Equal("""["1","2","room:lobby","phx_reply",{"status":"ok","response":{"a":1}}]""", Text(frame));
    }

    [Fact]
    public void V2_encodes_broadcasts_with_null_refs_and_keeps_text_readable()
    {
        var frame = V2.EncodeBroadcast("room:café", "new_msg", Payload.FromJson("""{"content":"<b>é</b>"}"""u8.ToArray()));

        Assert.Equal("""[null,null,"room:café","new_msg",{"content":"<b>é</b>"}]""", Text(frame));
    }

    [Fact]
    public void V2_binary_push_from_the_client_decodes()
    {
        byte[] frame = [0, 1, 1, 4, 3, .. "12room"u8, .. "msg"u8, 0xDE, 0xAD];

        var message = V2.Decode(frame, isBinary: true);

        Assert.Equal("1", message.JoinRef);
        Assert.Equal("2", message.Ref);
        Assert.Equal("room", message.Topic);
        Assert.Equal("msg", message.Event);
        Assert.True(message.Payload.IsBinary);
        Assert.Equal(new byte[] { 0xDE, 0xAD }, message.Payload.Bytes.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 1, 1, (byte)'t', (byte)'e' })]
    [InlineData(new byte[] { 2, 1, 1, (byte)'t', (byte)'e' })]
    [InlineData(new byte[] { 0, 1 })]
    public void V2_binary_frames_of_other_kinds_or_too_short_close_with_1003(byte[] frame)
    {
        var error = Assert.Throws<FrameDecodeException>(() => V2.Decode(frame, isBinary: true));

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, error.CloseStatus);
    }

    [Fact]
    public void V2_binary_frame_shorter_than_its_header_closes_with_1007()
    {
        byte[] frame = [0, 9, 1, 1, 1, (byte)'a'];

        var error = Assert.Throws<FrameDecodeException>(() => V2.Decode(frame, isBinary: true));

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, error.CloseStatus);
    }

    [Fact]
    public void V2_binary_reply_push_and_broadcast_follow_the_phoenix_layout()
    {
        var data = Payload.FromBinary(new byte[] { 9, 8 });

        var reply = V2.EncodeReply("1", "22", "top", "ok", data);
        var push = V2.EncodeMessage("1", null, "top", "ev", data);
        var broadcast = V2.EncodeBroadcast("top", "ev", data);

        Assert.Equal([1, 1, 2, 3, 2, .. "1"u8, .. "22"u8, .. "top"u8, .. "ok"u8, 9, 8], reply.Data.ToArray());
        Assert.Equal([0, 1, 3, 2, .. "1"u8, .. "top"u8, .. "ev"u8, 9, 8], push.Data.ToArray());
        Assert.Equal([2, 3, 2, .. "top"u8, .. "ev"u8, 9, 8], broadcast.Data.ToArray());
        Assert.True(reply.IsBinary && push.IsBinary && broadcast.IsBinary);
    }

    [Fact]
    public void V1_decodes_objects_in_any_key_order()
    {
        var message = DecodeText(V1, """{"payload":{"x":1},"ref":"5","event":"ping","topic":"room:1","extra":[1]}""");

        Assert.Null(message.JoinRef);
        Assert.Equal("5", message.Ref);
        Assert.Equal("room:1", message.Topic);
        Assert.Equal("ping", message.Event);
        Assert.Equal(1, message.Payload.ToJsonElement().GetProperty("x").GetInt32());
    }

    [Theory]
    [InlineData("""["1","2","t","e",{}]""")]
    [InlineData("""{"topic":"t","event":"e"}""")]
    [InlineData("""{"topic":"t","event":"e","payload":3}""")]
    public void V1_rejects_what_is_not_a_message_object(string frame)
    {
        var error = Assert.Throws<FrameDecodeException>(() => DecodeText(V1, frame));

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, error.CloseStatus);
    }

    [Fact]
    public void V1_has_no_binary_frames()
    {
        var error = Assert.Throws<FrameDecodeException>(() => V1.Decode([0, 0, 0, 1, 1, 1, 1], isBinary: true));

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, error.CloseStatus);
        Assert.Throws<NotSupportedException>(() => V1.EncodeBroadcast("t", "e", Payload.FromBinary(new byte[] { 1 })));
    }

    [Fact]
    public void V1_encodes_replies_and_broadcasts_as_objects_without_join_ref()
    {
        var reply = JsonDocument.Parse(Text(V1.EncodeReply("1", "2", "t", "error", Payload.Empty))).RootElement;
        var broadcast = JsonDocument.Parse(Text(V1.EncodeBroadcast("t", "e", Payload.Empty))).RootElement;

        Assert.Equal("phx_reply", reply.GetProperty("event").GetString());
        Assert.Equal("2", reply.GetProperty("ref").GetString());
        Assert.Equal("error", reply.GetProperty("payload").GetProperty("status").GetString());
        Assert.False(reply.TryGetProperty("join_ref", out _));
        Assert.Equal(JsonValueKind.Null, broadcast.GetProperty("ref").ValueKind);
        Assert.Equal("e", broadcast.GetProperty("event").GetString());
    }

    [Theory]
    [InlineData(null, typeof(V1JsonSerializer))]
    [InlineData("1.0.0", typeof(V1JsonSerializer))]
    [InlineData("2.0.0", typeof(V2JsonSerializer))]
    [InlineData("2.0.7", typeof(V2JsonSerializer))]
    [InlineData("3.0.0", null)]
    [InlineData("2.1.0", null)]
    [InlineData("2.0.", null)]
    [InlineData("2.0.x", null)]
    [InlineData("garbage", null)]
    public void The_vsn_parameter_picks_the_serializer(string? vsn, Type? expected) =>
        Assert.Equal(expected, MessageSerializer.ForVersion(vsn)?.GetType());
}
