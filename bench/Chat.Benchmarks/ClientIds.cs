using System.Globalization;

namespace Chat.Benchmarks;

/// <summary>
/// The <c>client_id</c>s the benchmark's senders attach, in the styles that real clients use.
/// The style decides where each key lands in the unique (client_id, room_id, user_id) index:
/// at its right edge, on one spot per sender, or anywhere.
/// </summary>
internal enum ClientIdStyle
{
    /// <summary>Time-ordered, as the web app makes them: a timestamp first, then the sender and its count.</summary>
    Time,

    /// <summary>A per-sender counter behind a sender prefix (<c>s12-345</c>), as a simple client might.</summary>
    Sender,

    /// <summary>A random UUID per message (<c>crypto.randomUUID()</c>).</summary>
    Random,
}

internal static class ClientIds
{
    public static ClientIdStyle Parse(string? value) => value switch
    {
        null or "time" => ClientIdStyle.Time,
        "sender" => ClientIdStyle.Sender,
        "random" => ClientIdStyle.Random,
        _ => throw new ArgumentException($"Unknown client id style '{value}': time, sender or random."),
    };

    public static string Next(ClientIdStyle style, int sender, long seq) => style switch
    {
        ClientIdStyle.Time => string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:x15}-{sender}-{seq}"),
        ClientIdStyle.Sender => string.Create(CultureInfo.InvariantCulture, $"s{sender}-{seq}"),
        _ => Guid.NewGuid().ToString(),
    };
}
