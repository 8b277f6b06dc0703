using System.Buffers;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// One rented block of a socket pipe's data: the first <see cref="End"/> bytes hold data, the
/// rest is free. The pipes keep a segment object aside when they give its block back, so that
/// a busy socket does not allocate one per read or write, and an idle one holds no block.
/// </summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    private IMemoryOwner<byte>? _owner;
    private byte[]? _largeArray;
    private Memory<byte> _block;

    public int End { get; private set; }

    /// <summary>The space after the data.</summary>
    public Memory<byte> Free => _block[End..];

    /// <summary>The data, from <paramref name="start"/>.</summary>
    public ReadOnlyMemory<byte> Data(int start) => _block[start..End];

    /// <summary>Takes a block of at least <paramref name="sizeHint"/> bytes: from the pool, or from the array pool when the pool's blocks are too small.</summary>
    public void Rent(MemoryPool<byte> pool, int sizeHint)
    {
        if (sizeHint <= pool.MaxBufferSize)
        {
            _owner = pool.Rent(sizeHint);
            _block = _owner.Memory;
        }
        else
        {
            _largeArray = ArrayPool<byte>.Shared.Rent(sizeHint);
            _block = _largeArray;
        }

        End = 0;
        RunningIndex = 0;
        Memory = default;
        Next = null;
    }

    public void Commit(int bytes)
    {
        End += bytes;
        Memory = _block[..End];
    }

    /// <summary>Links <paramref name="next"/> after this one, as the sequence's next segment.</summary>
    public void Append(BufferSegment next)
    {
        next.RunningIndex = RunningIndex + End;
        Next = next;
    }

    public BufferSegment? NextSegment => (BufferSegment?)Next;

    /// <summary>Gives the block back; the segment may be rented again.</summary>
    public void Release()
    {
        _owner?.Dispose();
        _owner = null;
        if (_largeArray is not null)
        {
            ArrayPool<byte>.Shared.Return(_largeArray);
            _largeArray = null;
        }

        _block = default;
        Memory = default;
        Next = null;
        End = 0;
    }
}
