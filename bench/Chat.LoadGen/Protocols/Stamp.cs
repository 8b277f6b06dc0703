using System.Diagnostics;

namespace Chat.LoadGen.Protocols;

/// <summary>
/// The send time a message carries in its content: <c>#t=TICKS;</c> with TICKS from
/// <see cref="Stopwatch.GetTimestamp"/> (CLOCK_MONOTONIC on Linux, the same clock in every
/// process of the machine), so that a receiver in another process can time it. Receivers find
/// it in the raw frame bytes: no JSON decoding on the hot path.
/// </summary>
internal static class Stamp
{
    private static ReadOnlySpan<byte> Marker => "#t="u8;

    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Writes the message content: the stamp, the sequence number, then padding up to <paramref name="contentBytes"/>.</summary>
    public static void WriteContent(ref Utf8Writer writer, long ticks, long sequence, int contentBytes)
    {
        var start = writer.Length;
        writer.Append(Marker);
        writer.Append(ticks);
        writer.Append((byte)';');
        writer.Append(sequence);
        writer.Append((byte)';');
        while (writer.Length - start < contentBytes)
        {
            writer.Append((byte)'x');
        }
    }

    /// <summary>Reads the first stamp in <paramref name="record"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out long ticks)
    {
        ticks = 0;
        var at = record.IndexOf(Marker);
        if (at < 0)
        {
            return false;
        }

        var digits = record[(at + Marker.Length)..];
        var any = false;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                break;
            }

            ticks = ticks * 10 + (c - '0');
            any = true;
        }

        return any;
    }

    public static long MicrosSince(long ticks, long now) => (long)((now - ticks) * MicrosPerTick);
}
