using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Reactions;

/// <summary>
/// A message's reactions (CONTRACT.md §4): emoji → the ids of the users who reacted, emoji in
/// the order they were first used and users in the order they reacted. Immutable; kept as its
/// wire JSON, which is what is stored and what goes out, so reading history parses nothing.
/// </summary>
[JsonConverter(typeof(MessageReactionsJsonConverter))]
public sealed class MessageReactions : IEquatable<MessageReactions>
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private IReadOnlyList<(string Emoji, long[] UserIds)>? _entries;

    private MessageReactions(string json, IReadOnlyList<(string Emoji, long[] UserIds)>? entries)
    {
        Json = json;
        _entries = entries;
    }

    /// <summary>No reactions: <c>{}</c>.</summary>
    public static MessageReactions None { get; } = new("{}", []);

    /// <summary>The JSON object, as stored and as sent.</summary>
    public string Json { get; }

    /// <summary>Each emoji with its users, in order.</summary>
    public IReadOnlyList<(string Emoji, long[] UserIds)> Entries => _entries ??= Parse(Json);

    public bool IsEmpty => Entries.Count == 0;

    /// <summary>From the stored column: null means none.</summary>
    public static MessageReactions FromJson(string? json) => string.IsNullOrEmpty(json) || json == None.Json ? None : new(json, null);

    /// <summary>The users who reacted with <paramref name="emoji"/>, in order; empty when none did.</summary>
    public IReadOnlyList<long> UsersOf(string emoji) => Entries.FirstOrDefault(e => e.Emoji == emoji).UserIds ?? [];

    /// <summary>With <paramref name="userId"/> reacting <paramref name="emoji"/>; the same instance when it already had.</summary>
    public MessageReactions With(string emoji, long userId)
    {
        var entries = Entries.ToList();
        var index = entries.FindIndex(e => e.Emoji == emoji);
        if (index < 0)
        {
            entries.Add((emoji, [userId]));
        }
        else if (entries[index].UserIds.Contains(userId))
        {
            return this;
        }
        else
        {
            entries[index] = (emoji, [.. entries[index].UserIds, userId]);
        }

        return Of(entries);
    }

    /// <summary>Without <paramref name="userId"/>'s <paramref name="emoji"/>; an emoji nobody holds leaves. The same instance when nothing changes.</summary>
    public MessageReactions Without(string emoji, long userId)
    {
        var entries = Entries.ToList();
        var index = entries.FindIndex(e => e.Emoji == emoji);
        if (index < 0 || !entries[index].UserIds.Contains(userId))
        {
            return this;
        }

        var left = entries[index].UserIds.Where(id => id != userId).ToArray();
        if (left.Length == 0)
        {
            entries.RemoveAt(index);
        }
        else
        {
            entries[index] = (entries[index].Emoji, left);
        }

        return Of(entries);
    }

    /// <summary>What the column stores: null for none.</summary>
    internal string? ToColumn() => IsEmpty ? null : Json;

    private static MessageReactions Of(List<(string Emoji, long[] UserIds)> entries)
    {
        if (entries.Count == 0)
        {
            return None;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var (emoji, users) in entries)
            {
                writer.WriteStartArray(emoji);
                foreach (var user in users)
                {
                    writer.WriteNumberValue(user);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return new(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), entries);
    }

    private static List<(string Emoji, long[] UserIds)> Parse(string json)
    {
        var entries = new List<(string, long[])>();
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            entries.Add((property.Name, property.Value.EnumerateArray().Select(id => id.GetInt64()).ToArray()));
        }

        return entries;
    }

    public bool Equals(MessageReactions? other) => other is not null && Json == other.Json;

    public override bool Equals(object? obj) => Equals(obj as MessageReactions);

    public override int GetHashCode() => Json.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Json;
}

/// <summary>Writes <see cref="MessageReactions"/> as the JSON object it already is; reads one back.</summary>
public sealed class MessageReactionsJsonConverter : JsonConverter<MessageReactions>
{
    public override MessageReactions Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return MessageReactions.FromJson(document.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, MessageReactions value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
