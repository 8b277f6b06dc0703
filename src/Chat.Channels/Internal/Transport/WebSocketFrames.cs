using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// RFC 6455 framing, the parts a server needs: reading masked client frame headers, and
/// writing unmasked server frames. No extensions are ever negotiated, so RSV bits must be 0.
/// </summary>
internal static class WebSocketFrames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>The longest header a server writes: 2 bytes, then a 64-bit length.</summary>
    public const int MaxServerHeaderLength = 10;

    /// <summary>Control frames carry at most 125 bytes (RFC 6455 §5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>One client frame's header, as read off the wire.</summary>
    public readonly record struct Header(bool Fin, byte Opcode, long PayloadLength, uint MaskKey, int HeaderLength)
    {
        public bool IsControl => (Opcode & 0x8) != 0;
    }

    /// <summary>
    /// Reads a client frame header from the start of <paramref name="buffer"/>. Returns false when
    /// more bytes are needed; throws <see cref="WebSocketProtocolException"/> for a header no
    /// conforming client sends.
    /// </summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out Header header)
    {
        header = default;
        Span<byte> head = stackalloc byte[14];
        var available = (int)Math.Min(buffer.Length, head.Length);
        if (available < 2)
        {
            return false;
        }

        buffer.Slice(0, available).CopyTo(head);
        head = head[..available];
        var fin = (head[0] & 0x80) != 0;
        if ((head[0] & 0x70) != 0)
        {
            throw new WebSocketProtocolException("reserved bits set without a negotiated extension");
        }

        var opcode = (byte)(head[0] & 0x0F);
        if (opcode is > Binary and < Close or > Pong)
        {
            throw new WebSocketProtocolException($"unknown opcode {opcode}");
        }

        if ((head[1] & 0x80) == 0)
        {
            throw new WebSocketProtocolException("client frames must be masked");
        }

        long length = head[1] & 0x7F;
        var offset = 2;
        if (length == 126)
        {
            if (available < 4)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
            offset = 4;
        }
        else if (length == 127)
        {
            if (available < 10)
            {
                return false;
            }

            var wide = BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
            if (wide > long.MaxValue)
            {
                throw new WebSocketProtocolException("payload length with the most significant bit set");
            }

            length = (long)wide;
            offset = 10;
        }

        if ((opcode & 0x8) != 0 && (!fin || length > MaxControlPayload))
        {
            throw new WebSocketProtocolException("control frames must be final and at most 125 bytes");
        }

        if (available < offset + 4)
        {
            return false;
        }

        var mask = BinaryPrimitives.ReadUInt32LittleEndian(head[offset..]);
        header = new Header(fin, opcode, length, mask, offset + 4);
        return true;
    }

    /// <summary>Copies a whole frame's masked payload into <paramref name="destination"/>, unmasking it.</summary>
    public static void CopyUnmasked(in ReadOnlySequence<byte> source, Span<byte> destination, uint maskKey)
    {
        source.CopyTo(destination);
        Unmask(destination[..(int)source.Length], maskKey);
    }

    private static void Unmask(Span<byte> data, uint key)
    {
        // The key was read little-endian, so byte i of the data meets key byte i % 4.
        var i = 0;
        if (data.Length >= 8)
        {
            var wide = key | ((ulong)key << 32);
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(data);
            for (var w = 0; w < words.Length; w++)
            {
                words[w] ^= wide;
            }

            i = words.Length * 8;
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= (byte)(key >> (8 * (i & 3)));
        }
    }

    /// <summary>Writes a server frame header: FIN set, unmasked.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, int payloadLength)
    {
        destination[0] = (byte)(0x80 | opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>Writes one whole server frame into <paramref name="writer"/> (header and payload).</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, byte opcode, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(MaxServerHeaderLength + payload.Length);
        var header = WriteHeader(span, opcode, payload.Length);
        payload.CopyTo(span[header..]);
        writer.Advance(header + payload.Length);
    }

    /// <summary>A close frame's payload: the code, then a reason cut to fit 123 bytes of UTF-8.</summary>
    public static void WriteClose(IBufferWriter<byte> writer, WebSocketCloseStatus status, string reason)
    {
        Span<byte> payload = stackalloc byte[MaxControlPayload];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        var length = 2;
        foreach (var rune in reason.EnumerateRunes())
        {
            if (length + rune.Utf8SequenceLength > payload.Length)
            {
                break;
            }

            length += rune.EncodeToUtf8(payload[length..]);
        }

        WriteFrame(writer, Close, payload[..length]);
    }

    /// <summary>Whether a client may send this close code (RFC 6455 §7.4).</summary>
    public static bool IsValidCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
}

/// <summary>A client broke the WebSocket protocol: the socket closes with 1002.</summary>
internal sealed class WebSocketProtocolException(string message) : Exception(message);
