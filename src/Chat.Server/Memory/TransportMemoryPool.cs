using System.Buffers;
using System.Collections.Concurrent;

namespace Chat.Server.Memory;

/// <summary>
/// The pool of 4 KiB pinned blocks that Kestrel's socket transport fills its pipes from, and
/// that our sockets keep using once they own their connections. It works as Kestrel's own pool
/// does (a queue of free blocks, new ones made when it is empty), but it can be emptied at
/// once: Kestrel's gives back at most a twentieth of its free blocks every 10 s, so after
/// 10,000 sockets closed it held their blocks for minutes (docs/benchmarks.md).
/// </summary>
internal sealed class TransportMemoryPool : MemoryPool<byte>
{
    /// <summary>A page: what the transport reads into and writes from, and what Kestrel's pool hands out.</summary>
    public const int BlockSize = 4096;

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly Action<TransportMemoryPool> _onDisposed;
    private volatile bool _disposed;

    public TransportMemoryPool(Action<TransportMemoryPool> onDisposed) => _onDisposed = onDisposed;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Bytes in free blocks, ready to be rented.</summary>
    public long FreeBytes => (long)_free.Count * BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _free.TryDequeue(out var block) ? block : new Block(this);
    }

    /// <summary>
    /// Lets go of the blocks that are free now, for the next collection to take; blocks rented
    /// out come back as usual. Returns the bytes let go.
    /// </summary>
    public long Trim()
    {
        // Cleared, not dequeued block by block: a queue keeps the segment it grew to for the
        // crowd (256 KiB of slots after 10,000 sockets), and only clearing starts it small again.
        // A block returned meanwhile may go with the rest, which a pool can afford.
        var dropped = (long)_free.Count * BlockSize;
        _free.Clear();
        return dropped;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _free.Clear();
        _onDisposed(this);
    }

    private void Return(Block block)
    {
        if (!_disposed)
        {
            _free.Enqueue(block);
        }
    }

    /// <summary>
    /// One block, on the pinned object heap so that socket sends and receives need not pin it.
    /// Like Kestrel's, it goes back to the pool when its owner disposes it (the pipe does so once).
    /// </summary>
    private sealed class Block(TransportMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public Memory<byte> Memory => _array;

        public void Dispose() => pool.Return(this);
    }
}
