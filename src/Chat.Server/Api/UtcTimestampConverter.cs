using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Server.Api;

/// <summary>
/// Every time on the wire as the contract writes it: UTC with exactly three fractional
/// digits (<c>2026-11-25T13:00:00.120Z</c>). System.Text.Json's default drops trailing zeros,
/// so the same field would have three, two or no fractional digits from one message to the
/// next, which breaks clients that parse with a fixed pattern. Stored times are already
/// whole milliseconds, so nothing is rounded away.
/// </summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTime>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTime().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        Span<char> text = stackalloc char[24];
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        utc.TryFormat(text, out var written, Format, CultureInfo.InvariantCulture);
        writer.WriteStringValue(text[..written]);
    }
}
