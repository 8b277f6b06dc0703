using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Memory;

/// <summary>
/// When the server gives memory back after a busy spell (<see cref="MemoryReclaimer"/>): once
/// enough sockets have closed or enough has been allocated since it last did, and the process
/// has then been quiet for a couple of seconds.
/// </summary>
public sealed class MemoryOptions
{
    public const string Section = "Chat:Memory";

    /// <summary>Give memory back when the server goes quiet after a busy spell. Off, memory is given back only as the runtime decides.</summary>
    public bool Reclaim { get; set; } = true;

    /// <summary>Sockets that must have closed (from the highest count since the last reclaim) for a quiet spell to reclaim.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int ReclaimAfterClosedSockets { get; set; } = 1_000;

    /// <summary>MiB the process must have allocated since the last reclaim for a quiet spell to reclaim.</summary>
    [Range(1, 1_048_576, ErrorMessage = "must be between {1} and {2}")]
    public int ReclaimAfterAllocatedMiB { get; set; } = 64;
}
