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
    /// The event that tells members how many keys a topic holds, while it holds more than it
    /// lists (<see cref="ChannelsOptions.PresenceListLimit"/>).
    /// </summary>
    public const string CountEvent = "presence_count";

    /// <summary><c>{"count": N}</c>.</summary>
    public static Payload Count(int keys) =>
        Payload.FromJson(System.Text.Encoding.UTF8.GetBytes("{\"count\":" + keys.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}"));

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
    /// <c>{"joins": {key: {"metas": [...]}}, "leaves": {key: {"metas": [...]}}}</c>: every change
    /// of one batching window, encoded once for every member.
    /// </summary>
    public static Payload Diff<TEntry>(IEnumerable<KeyValuePair<string, List<TEntry>>> joins, IEnumerable<KeyValuePair<string, List<TEntry>>> leaves, Func<TEntry, ReadOnlyMemory<byte>> meta) =>
        Payload.FromJson(JsonFrameWriter.Write((joins, leaves, meta), static (Utf8JsonWriter w, in (IEnumerable<KeyValuePair<string, List<TEntry>>> Joins, IEnumerable<KeyValuePair<string, List<TEntry>>> Leaves, Func<TEntry, ReadOnlyMemory<byte>> Meta) s) =>
        {
            w.WriteStartObject();
            w.WritePropertyName("joins"u8);
            WriteEntries<TEntry, List<TEntry>>(w, s.Joins, s.Meta);
            w.WritePropertyName("leaves"u8);
            WriteEntries<TEntry, List<TEntry>>(w, s.Leaves, s.Meta);
            w.WriteEndObject();
        }).Data);

    /// <summary><c>{key: {"metas": [meta, ...]}, ...}</c>: the payload of <c>presence_state</c>.</summary>
    public static Payload State<TEntry, TEntries>(IEnumerable<KeyValuePair<string, TEntries>> byKey, Func<TEntry, ReadOnlyMemory<byte>> meta)
        where TEntries : IReadOnlyList<TEntry> =>
        Payload.FromJson(JsonFrameWriter.Write((byKey, meta), static (Utf8JsonWriter w, in (IEnumerable<KeyValuePair<string, TEntries>> ByKey, Func<TEntry, ReadOnlyMemory<byte>> Meta) s) =>
            WriteEntries<TEntry, TEntries>(w, s.ByKey, s.Meta)).Data);

    private static void WriteEntries<TEntry, TEntries>(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, TEntries>> byKey, Func<TEntry, ReadOnlyMemory<byte>> meta)
        where TEntries : IReadOnlyList<TEntry>
    {
        w.WriteStartObject();
        foreach (var (key, entries) in byKey)
        {
            w.WritePropertyName(key);
            w.WriteStartObject();
            w.WritePropertyName("metas"u8);
            w.WriteStartArray();
            for (var i = 0; i < entries.Count; i++)
            {
                w.WriteRawValue(meta(entries[i]).Span, skipInputValidation: true);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
