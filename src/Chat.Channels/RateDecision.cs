using System.Threading.RateLimiting;

namespace Chat.Channels;

/// <summary>
/// Whether a rate limit lets a request through, and if not, how long until it would: what an
/// HTTP <c>Retry-After</c> says. The same answer from a limit of one node and from one that all
/// nodes share in Redis.
/// </summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter)
{
    /// <summary>Let through.</summary>
    public static RateDecision Allow => new(true, TimeSpan.Zero);

    /// <summary>Refused, and let through again after <paramref name="retryAfter"/>.</summary>
    public static RateDecision Refuse(TimeSpan retryAfter) => new(false, retryAfter);

    /// <summary>A System.Threading.RateLimiting lease, as a decision; the lease is disposed.</summary>
    public static RateDecision From(RateLimitLease lease)
    {
        using (lease)
        {
            return lease.IsAcquired
                ? Allow
                : Refuse(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1));
        }
    }
}
