using System.Buffers;
using System.Collections.Concurrent;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// One rented block of a socket pipe's data: the first <see cref="End"/> bytes hold data, the
/// rest is free. Segment objects are shared by every connection through a small pool, so that a
/// busy socket does not allocate one per read or write and an idle one holds none.
/// </summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    /// <summary>Enough for every segment in use at once on a busy server; beyond it they are left to the collector.</summary>
    private const int MaxPooled = 4096;

    /// <summary>The least a segment holds: a block of Kestrel's pools.</summary>
    private const int MinBlockBytes = 4096;

    private static readonly ConcurrentQueue<BufferSegment> s_pool = new();
    private static int s_pooled;

    private IMemoryOwner<byte>? _owner;
    private byte[]? _largeArray;
    private Memory<byte> _block;

    public int End { get; private set; }

    /// <summary>The space after the data.</summary>
    public Memory<byte> Free => _block[End..];

    /// <summary>The data, from <paramref name="start"/>.</summary>
    public ReadOnlyMemory<byte> Data(int start) => _block[start..End];

    /// <summary>A segment holding a block of at least <paramref name="sizeHint"/> bytes: from <paramref name="pool"/>, or from the array pool when its blocks are too small.</summary>
    public static BufferSegment Rent(MemoryPool<byte> pool, int sizeHint)
    {
        if (s_pool.TryDequeue(out var segment))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            segment = new BufferSegment();
        }

        segment.Take(pool, sizeHint);
        return segment;
    }

    private void Take(MemoryPool<byte> pool, int sizeHint)
    {
        if (sizeHint <= pool.MaxBufferSize)
        {
            // The pool's own size unless more is asked for: a pool may take a hint of 0 or 1
            // literally (the shared array pool gives back an empty or 16-byte array), and a
            // segment without room would make a writer's GetSpan return nothing.
            _owner = pool.Rent(sizeHint > MinBlockBytes ? sizeHint : Math.Min(MinBlockBytes, pool.MaxBufferSize));
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

    /// <summary>Gives the block back, and the segment to the shared pool; returns the next segment.</summary>
    public BufferSegment? Return()
    {
        var next = NextSegment;
        Release();
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }

        return next;
    }

    /// <summary>Returns <paramref name="first"/> and every segment linked after it.</summary>
    public static void ReturnAll(BufferSegment? first)
    {
        for (var segment = first; segment is not null;)
        {
            segment = segment.Return();
        }
    }

    private void Release()
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
