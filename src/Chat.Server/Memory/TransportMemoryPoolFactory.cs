using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Chat.Server.Memory;

/// <summary>
/// Makes the pools Kestrel's socket transport takes its blocks from (it asks the container for
/// an <see cref="IMemoryPoolFactory{T}"/>), and keeps them, so that the reclaimer can empty them
/// when the server goes quiet.
/// </summary>
internal sealed class TransportMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    private readonly ConcurrentDictionary<TransportMemoryPool, byte> _pools = new();

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new TransportMemoryPool(disposed => _pools.TryRemove(disposed, out _));
        _pools.TryAdd(pool, 0);
        return pool;
    }

    /// <summary>Bytes in free blocks over every pool.</summary>
    public long FreeBytes => _pools.Keys.Sum(pool => pool.FreeBytes);

    /// <summary>Lets go of every pool's free blocks; returns the bytes let go.</summary>
    public long Trim() => _pools.Keys.Sum(pool => pool.Trim());
}
