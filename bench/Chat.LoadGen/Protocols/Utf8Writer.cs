using System.Buffers.Text;

namespace Chat.LoadGen.Protocols;

/// <summary>Appends ASCII text and numbers to a span: how the protocols build frames without allocating.</summary>
internal ref struct Utf8Writer(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;

    public int Length { get; private set; }

    public readonly ReadOnlySpan<byte> Written => _buffer[..Length];

    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[Length..]);
        Length += bytes.Length;
    }

    /// <summary>ASCII only (room names, tokens, ids): the load generator writes nothing else.</summary>
    public void Append(string ascii)
    {
        for (var i = 0; i < ascii.Length; i++)
        {
            _buffer[Length + i] = (byte)ascii[i];
        }

        Length += ascii.Length;
    }

    public void Append(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer[Length..], out var written);
        Length += written;
    }

    public void Append(byte value)
    {
        _buffer[Length] = value;
        Length++;
    }
}
