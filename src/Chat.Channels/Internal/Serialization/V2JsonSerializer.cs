using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Chat.Channels.Internal.Serialization;

/// <summary>
/// The V2 format (<c>vsn=2.0.0</c>): text frames are JSON arrays
/// <c>[join_ref, ref, topic, event, payload]</c>; binary frames carry a one-byte kind
/// (0 push, 1 reply, 2 broadcast), one length byte per field, the fields, then raw data.
/// </summary>
internal sealed class V2JsonSerializer : MessageSerializer
{
    public static readonly V2JsonSerializer Instance = new();

    private const byte PushKind = 0;
    private const byte ReplyKind = 1;
    private const byte BroadcastKind = 2;
    private const int MaxFieldBytes = byte.MaxValue;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private V2JsonSerializer()
    {
    }

    public override int Slot => 1;

    public override InboundMessage Decode(ReadOnlySpan<byte> frame, bool isBinary) =>
        isBinary ? DecodeBinary(frame) : DecodeText(frame);

    public override OutboundFrame EncodeReply(string? joinRef, string? @ref, string topic, string status, Payload response)
    {
        if (response.IsBinary)
        {
            return EncodeBinary(ReplyKind, [joinRef ?? "", @ref ?? "", topic, status], response.Bytes.Span);
        }

        return JsonFrameWriter.Write((joinRef, @ref, topic, status, response), static (Utf8JsonWriter w, in (string? JoinRef, string? Ref, string Topic, string Status, Payload Response) s) =>
        {
            w.WriteStartArray();
            w.WriteStringOrNull(s.JoinRef);
            w.WriteStringOrNull(s.Ref);
            w.WriteStringValue(s.Topic);
            w.WriteStringValue("phx_reply"u8);
            w.WriteStartObject();
            w.WriteString("status"u8, s.Status);
            w.WritePropertyName("response"u8);
            w.WritePayload(s.Response);
            w.WriteEndObject();
            w.WriteEndArray();
        });
    }

    public override OutboundFrame EncodeMessage(string? joinRef, string? @ref, string topic, string @event, Payload payload)
    {
        if (payload.IsBinary)
        {
            // The binary push frame has no ref field: server pushes never answer anything.
            return EncodeBinary(PushKind, [joinRef ?? "", topic, @event], payload.Bytes.Span);
        }

        return JsonFrameWriter.Write((joinRef, @ref, topic, @event, payload), static (Utf8JsonWriter w, in (string? JoinRef, string? Ref, string Topic, string Event, Payload Payload) s) =>
        {
            w.WriteStartArray();
            w.WriteStringOrNull(s.JoinRef);
            w.WriteStringOrNull(s.Ref);
            w.WriteStringValue(s.Topic);
            w.WriteStringValue(s.Event);
            w.WritePayload(s.Payload);
            w.WriteEndArray();
        });
    }

    public override OutboundFrame EncodeBroadcast(string topic, string @event, Payload payload)
    {
        if (payload.IsBinary)
        {
            return EncodeBinary(BroadcastKind, [topic, @event], payload.Bytes.Span);
        }

        return EncodeMessage(null, null, topic, @event, payload);
    }

    private static InboundMessage DecodeText(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 64 });
            Expect(ref reader, JsonTokenType.StartArray, "a message must be a JSON array");
            var joinRef = ReadRef(ref reader, "join_ref");
            var @ref = ReadRef(ref reader, "ref");
            var topic = ReadName(ref reader, "topic");
            var @event = ReadName(ref reader, "event");
            var payload = ReadPayload(ref reader, frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
            {
                throw FrameDecodeException.Invalid("a message must have exactly five elements");
            }

            if (reader.Read())
            {
                throw FrameDecodeException.Invalid("unexpected data after the message");
            }

            return new InboundMessage(joinRef, @ref, topic, @event, payload);
        }
        catch (JsonException ex)
        {
            throw FrameDecodeException.Invalid("malformed JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // Raised by GetString() for text that is not valid UTF-8.
            throw FrameDecodeException.Invalid(ex.Message);
        }
    }

    internal static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string error)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw FrameDecodeException.Invalid(error);
        }
    }

    internal static string? ReadRef(ref Utf8JsonReader reader, string field)
    {
        if (!reader.Read())
        {
            throw FrameDecodeException.Invalid("a message must have exactly five elements");
        }

        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.EndArray => throw FrameDecodeException.Invalid("a message must have exactly five elements"),
            _ => throw FrameDecodeException.Invalid($"{field} must be a string or null"),
        };
    }

    internal static string ReadName(ref Utf8JsonReader reader, string field)
    {
        if (!reader.Read())
        {
            throw FrameDecodeException.Invalid("a message must have exactly five elements");
        }

        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.EndArray => throw FrameDecodeException.Invalid("a message must have exactly five elements"),
            _ => throw FrameDecodeException.Invalid($"{field} must be a string"),
        };
    }

    /// <summary>Slices the payload object out of the frame without building a DOM.</summary>
    internal static Payload ReadPayload(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            throw FrameDecodeException.Invalid("a message must have exactly five elements");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw FrameDecodeException.Invalid("payload must be a JSON object");
        }

        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        // Skip() checks structure, not the UTF-8 inside strings: check it here, once, so
        // channels never see text that .NET would reject later.
        var bytes = frame[start..end];
        if (!Utf8.IsValid(bytes))
        {
            throw FrameDecodeException.Invalid("payload is not valid UTF-8");
        }

        return Payload.FromJson(bytes.ToArray());
    }

    private static InboundMessage DecodeBinary(ReadOnlySpan<byte> frame)
    {
        // kind, then the sizes of join_ref, ref, topic and event.
        const int HeaderLength = 5;
        if (frame.Length < HeaderLength)
        {
            throw FrameDecodeException.Unsupported("binary frame too short");
        }

        if (frame[0] != PushKind)
        {
            throw FrameDecodeException.Unsupported($"clients may only send binary frames of kind {PushKind}, not {frame[0]}");
        }

        var offset = HeaderLength;
        try
        {
            var joinRef = ReadField(frame, frame[1], ref offset);
            var @ref = ReadField(frame, frame[2], ref offset);
            var topic = ReadField(frame, frame[3], ref offset);
            var @event = ReadField(frame, frame[4], ref offset);
            if (topic.Length == 0 || @event.Length == 0)
            {
                throw FrameDecodeException.Invalid("binary frame without a topic or event");
            }

            var data = frame[offset..].ToArray();
            return new InboundMessage(NullIfEmpty(joinRef), NullIfEmpty(@ref), topic, @event, Payload.FromBinary(data));
        }
        catch (DecoderFallbackException)
        {
            throw FrameDecodeException.Invalid("binary frame field is not valid UTF-8");
        }
    }

    private static string ReadField(ReadOnlySpan<byte> frame, int size, ref int offset)
    {
        if (offset + size > frame.Length)
        {
            throw FrameDecodeException.Invalid("binary frame is shorter than its header says");
        }

        var value = StrictUtf8.GetString(frame.Slice(offset, size));
        offset += size;
        return value;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static OutboundFrame EncodeBinary(byte kind, ReadOnlySpan<string> fields, ReadOnlySpan<byte> data)
    {
        Span<int> sizes = stackalloc int[fields.Length];
        var length = 1 + fields.Length + data.Length;
        for (var i = 0; i < fields.Length; i++)
        {
            sizes[i] = Encoding.UTF8.GetByteCount(fields[i]);
            if (sizes[i] > MaxFieldBytes)
            {
                throw new ArgumentException($"A binary frame field may hold at most {MaxFieldBytes} bytes.");
            }

            length += sizes[i];
        }

        var bytes = new byte[length];
        bytes[0] = kind;
        var offset = 1 + fields.Length;
        for (var i = 0; i < fields.Length; i++)
        {
            bytes[1 + i] = (byte)sizes[i];
            offset += Encoding.UTF8.GetBytes(fields[i], bytes.AsSpan(offset));
        }

        data.CopyTo(bytes.AsSpan(offset));
        return new OutboundFrame(bytes, IsBinary: true);
    }
}
