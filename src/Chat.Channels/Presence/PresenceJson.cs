using System.Text.Json;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Presence;

/// <summary>
/// The presence payloads, written by hand with <see cref="Utf8JsonWriter"/> in the shapes
/// phoenix.js's <c>Presence.syncState</c> and <c>Presence.syncDiff</c> read. Metas are kept
/// encoded and copied in raw, so no meta is serialized twice.
/// </summary>
internal static class PresenceJson
{
    /// <summary>The event every presence change is broadcast as.</summary>
    public const string DiffEvent = "presence_diff";

    /// <summary>
    /// Checks that <paramref name="meta"/> is a JSON object and returns it, compact, with
    /// <c>phx_ref</c> set to <paramref name="phxRef"/> (a <c>phx_ref</c> of the caller's is dropped,
    /// since clients match metas by the tracker's ref alone).
    /// </summary>
    /// <exception cref="ArgumentException">The meta is binary, not JSON, or not an object.</exception>
    public static ReadOnlyMemory<byte> StampMeta(Payload meta, string phxRef)
    {
        if (meta.IsBinary)
        {
            throw new ArgumentException("A presence meta must be a JSON object, not a binary payload.", nameof(meta));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(meta.Bytes);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("A presence meta must be a JSON object; the payload is not valid JSON.", nameof(meta), ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"A presence meta must be a JSON object, not {document.RootElement.ValueKind}.", nameof(meta));
            }

            return JsonFrameWriter.Write((document.RootElement, phxRef), static (Utf8JsonWriter w, in (JsonElement Meta, string Ref) s) =>
            {
                w.WriteStartObject();
                foreach (var property in s.Meta.EnumerateObject())
                {
                    if (!property.NameEquals("phx_ref"u8))
                    {
                        property.WriteTo(w);
                    }
                }

                w.WriteString("phx_ref"u8, s.Ref);
                w.WriteEndObject();
            }).Data;
        }
    }

    /// <summary>
    /// <c>{"joins": {key: {"metas": [meta]}}, "leaves": {}}</c>, or the leave the other way round:
    /// one change, encoded once for every member.
    /// </summary>
    public static Payload Diff(string key, ReadOnlyMemory<byte> meta, bool joined) =>
        Payload.FromJson(JsonFrameWriter.Write((key, meta, joined), static (Utf8JsonWriter w, in (string Key, ReadOnlyMemory<byte> Meta, bool Joined) s) =>
        {
            w.WriteStartObject();
            w.WritePropertyName("joins"u8);
            w.WriteStartObject();
            if (s.Joined)
            {
                WriteKey(w, s.Key, s.Meta);
            }

            w.WriteEndObject();
            w.WritePropertyName("leaves"u8);
            w.WriteStartObject();
            if (!s.Joined)
            {
                WriteKey(w, s.Key, s.Meta);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }).Data);

    /// <summary><c>{key: {"metas": [meta, ...]}, ...}</c>: the payload of <c>presence_state</c>.</summary>
    public static Payload State<TEntry>(IReadOnlyDictionary<string, List<TEntry>> byKey, Func<TEntry, ReadOnlyMemory<byte>> meta) =>
        Payload.FromJson(JsonFrameWriter.Write((byKey, meta), static (Utf8JsonWriter w, in (IReadOnlyDictionary<string, List<TEntry>> ByKey, Func<TEntry, ReadOnlyMemory<byte>> Meta) s) =>
        {
            w.WriteStartObject();
            foreach (var (key, entries) in s.ByKey)
            {
                w.WritePropertyName(key);
                w.WriteStartObject();
                w.WritePropertyName("metas"u8);
                w.WriteStartArray();
                foreach (var entry in entries)
                {
                    w.WriteRawValue(s.Meta(entry).Span, skipInputValidation: true);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }).Data);

    private static void WriteKey(Utf8JsonWriter w, string key, ReadOnlyMemory<byte> meta)
    {
        w.WritePropertyName(key);
        w.WriteStartObject();
        w.WritePropertyName("metas"u8);
        w.WriteStartArray();
        w.WriteRawValue(meta.Span, skipInputValidation: true);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
