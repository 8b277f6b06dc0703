using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Chat.Channels.Internal.Serialization;

/// <summary>
/// Builds a JSON frame with a writer and buffer that are reused per thread, so encoding
/// allocates only the finished frame.
/// </summary>
internal static class JsonFrameWriter
{
    // Frames carry text for clients to show; escaping non-ASCII would only make them longer.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public delegate void WriteAction<TState>(Utf8JsonWriter writer, in TState state);

    public static OutboundFrame Write<TState>(in TState state, WriteAction<TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            write(writer, state);
            writer.Flush();
            return new OutboundFrame(buffer.WrittenSpan.ToArray(), IsBinary: false);
        }
        finally
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            // A rare huge frame should not pin a huge buffer to this thread forever.
            if (buffer.Capacity > 64 * 1024)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    /// <summary>Writes an already encoded JSON payload in place.</summary>
    public static void WritePayload(this Utf8JsonWriter writer, in Payload payload) =>
        writer.WriteRawValue(payload.Bytes.Span, skipInputValidation: true);

    public static void WriteStringOrNull(this Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
