using System.Threading.RateLimiting;

namespace Chat.Server.Limits;

/// <summary>Whether a rate limit lets a request through, and if not, how long until it would.</summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter)
{
    public static RateDecision Allow => new(true, TimeSpan.Zero);

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

    /// <summary>The later of two refusals, or whichever refuses.</summary>
    public RateDecision And(RateDecision other) => (Allowed, other.Allowed) switch
    {
        (true, _) => other,
        (_, true) => this,
        _ => Refuse(RetryAfter > other.RetryAfter ? RetryAfter : other.RetryAfter),
    };
}
