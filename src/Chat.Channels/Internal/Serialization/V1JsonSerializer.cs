using System.Text.Json;

namespace Chat.Channels.Internal.Serialization;

/// <summary>
/// The original format (<c>vsn=1.0.0</c>, or no <c>vsn</c>): every frame is a JSON object
/// <c>{"topic", "event", "payload", "ref", "join_ref"}</c>. It has no binary frames, and
/// the server's frames carry no <c>join_ref</c>.
/// </summary>
internal sealed class V1JsonSerializer : MessageSerializer
{
    public static readonly V1JsonSerializer Instance = new();

    private V1JsonSerializer()
    {
    }

    public override int Slot => 0;

    public override InboundMessage Decode(ReadOnlySpan<byte> frame, bool isBinary)
    {
        if (isBinary)
        {
            throw FrameDecodeException.Unsupported("the 1.0.0 serializer has no binary frames");
        }

        try
        {
            return DecodeObject(frame);
        }
        catch (JsonException ex)
        {
            throw FrameDecodeException.Invalid("malformed JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw FrameDecodeException.Invalid(ex.Message);
        }
    }

    public override OutboundFrame EncodeReply(string? joinRef, string? @ref, string topic, string status, Payload response)
    {
        EnsureJson(response);
        return JsonFrameWriter.Write((@ref, topic, status, response), static (Utf8JsonWriter w, in (string? Ref, string Topic, string Status, Payload Response) s) =>
        {
            w.WriteStartObject();
            w.WriteString("topic"u8, s.Topic);
            w.WriteString("event"u8, "phx_reply"u8);
            w.WritePropertyName("payload"u8);
            w.WriteStartObject();
            w.WriteString("status"u8, s.Status);
            w.WritePropertyName("response"u8);
            w.WritePayload(s.Response);
            w.WriteEndObject();
            w.WritePropertyName("ref"u8);
            w.WriteStringOrNull(s.Ref);
            w.WriteEndObject();
        });
    }

    public override OutboundFrame EncodeMessage(string? joinRef, string? @ref, string topic, string @event, Payload payload)
    {
        EnsureJson(payload);
        return JsonFrameWriter.Write((@ref, topic, @event, payload), static (Utf8JsonWriter w, in (string? Ref, string Topic, string Event, Payload Payload) s) =>
        {
            w.WriteStartObject();
            w.WriteString("topic"u8, s.Topic);
            w.WriteString("event"u8, s.Event);
            w.WritePropertyName("payload"u8);
            w.WritePayload(s.Payload);
            w.WritePropertyName("ref"u8);
            w.WriteStringOrNull(s.Ref);
            w.WriteEndObject();
        });
    }

    public override OutboundFrame EncodeBroadcast(string topic, string @event, Payload payload) =>
        EncodeMessage(null, null, topic, @event, payload);

    private static InboundMessage DecodeObject(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 64 });
        V2JsonSerializer.Expect(ref reader, JsonTokenType.StartObject, "a message must be a JSON object");
        string? topic = null, @event = null, @ref = null, joinRef = null;
        Payload? payload = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("topic"u8))
            {
                topic = V2JsonSerializer.ReadName(ref reader, "topic");
            }
            else if (reader.ValueTextEquals("event"u8))
            {
                @event = V2JsonSerializer.ReadName(ref reader, "event");
            }
            else if (reader.ValueTextEquals("ref"u8))
            {
                @ref = V2JsonSerializer.ReadRef(ref reader, "ref");
            }
            else if (reader.ValueTextEquals("join_ref"u8))
            {
                joinRef = V2JsonSerializer.ReadRef(ref reader, "join_ref");
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                payload = V2JsonSerializer.ReadPayload(ref reader, frame);
            }
            else
            {
                // Unknown keys are tolerated, as Phoenix does.
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw FrameDecodeException.Invalid("malformed message object");
        }

        if (topic is null || @event is null || payload is null)
        {
            throw FrameDecodeException.Invalid("a message needs topic, event and payload");
        }

        return new InboundMessage(joinRef, @ref, topic, @event, payload.Value);
    }

    private static void EnsureJson(in Payload payload)
    {
        if (payload.IsBinary)
        {
            throw new NotSupportedException("The 1.0.0 serializer cannot carry binary payloads.");
        }
    }
}
