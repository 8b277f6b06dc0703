using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Chat.Channels;

/// <summary>The two kinds of payload the Phoenix protocol carries.</summary>
public enum PayloadKind
{
    /// <summary>A JSON object, held as UTF-8 bytes.</summary>
    Json,

    /// <summary>Opaque bytes, carried in the V2 serializer's binary frames.</summary>
    Binary,
}

/// <summary>
/// The payload of a message: a JSON object kept as its UTF-8 encoding, or raw bytes.
/// </summary>
/// <remarks>
/// Payloads stay encoded on purpose. An incoming payload is sliced out of the frame and
/// only parsed when a channel asks for it, and an outgoing payload is encoded once and
/// then framed for every subscriber without being serialized again.
/// <para>
/// Incoming payloads are untrusted input: validate every field a channel reads.
/// </para>
/// </remarks>
public readonly struct Payload
{
    private static readonly byte[] EmptyObjectBytes = "{}"u8.ToArray();

    private Payload(PayloadKind kind, ReadOnlyMemory<byte> bytes)
    {
        Kind = kind;
        Bytes = bytes;
    }

    /// <summary>The empty JSON object, <c>{}</c>.</summary>
    public static Payload Empty => new(PayloadKind.Json, EmptyObjectBytes);

    /// <summary>Whether this is JSON or binary.</summary>
    public PayloadKind Kind { get; }

    /// <summary>The UTF-8 JSON text, or the raw bytes of a binary payload.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>True for a binary payload.</summary>
    public bool IsBinary => Kind == PayloadKind.Binary;

    /// <summary>Wraps UTF-8 JSON that is already encoded. The bytes are not copied or checked.</summary>
    public static Payload FromJson(ReadOnlyMemory<byte> utf8Json) =>
        utf8Json.IsEmpty ? Empty : new(PayloadKind.Json, utf8Json);

    /// <summary>Wraps raw bytes as a binary payload.</summary>
    public static Payload FromBinary(ReadOnlyMemory<byte> bytes) => new(PayloadKind.Binary, bytes);

    /// <summary>Encodes <paramref name="value"/> as JSON with the given contract.</summary>
    public static Payload Serialize<T>(T value, JsonTypeInfo<T> typeInfo) =>
        new(PayloadKind.Json, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));

    /// <summary>
    /// Turns any value a channel returns into a payload: a <see cref="Payload"/> passes
    /// through, <c>null</c> becomes <c>{}</c>, anything else is serialized with <paramref name="options"/>.
    /// </summary>
    public static Payload From(object? value, JsonSerializerOptions options) => value switch
    {
        null => Empty,
        Payload payload => payload,
        _ => new(PayloadKind.Json, JsonSerializer.SerializeToUtf8Bytes(value, options.GetTypeInfo(value.GetType()))),
    };

    /// <summary>Reads a JSON payload into <typeparamref name="T"/>; throws <see cref="JsonException"/> when it does not fit.</summary>
    public T? Deserialize<T>(JsonTypeInfo<T> typeInfo)
    {
        EnsureJson();
        return JsonSerializer.Deserialize(Bytes.Span, typeInfo);
    }

    /// <summary>Parses a JSON payload into a standalone <see cref="JsonElement"/>.</summary>
    public JsonElement ToJsonElement()
    {
        EnsureJson();
        var reader = new Utf8JsonReader(Bytes.Span);
        return JsonElement.ParseValue(ref reader);
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsBinary ? $"<binary {Bytes.Length} bytes>" : System.Text.Encoding.UTF8.GetString(Bytes.Span);

    private void EnsureJson()
    {
        if (IsBinary)
        {
            throw new InvalidOperationException("The payload is binary, not JSON.");
        }
    }
}
