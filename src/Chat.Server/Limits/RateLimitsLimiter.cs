using System.Diagnostics;
using System.Threading.RateLimiting;
using Chat.Channels;

namespace Chat.Server.Limits;

/// <summary>
/// One key's limit in <see cref="RateLimits"/> (a user's message budget, an address's sign-ups)
/// as a System.Threading.RateLimiting <see cref="RateLimiter"/>, for ASP.NET Core's middleware,
/// which makes one per key and drops it once idle. It holds no count of its own: the count lives
/// in <see cref="RateLimits"/>, shared with the sockets, or in Redis.
/// </summary>
internal sealed class RateLimitsLimiter(Func<ValueTask<RateDecision>> take) : RateLimiter
{
    private static readonly Lease Granted = new(true, TimeSpan.Zero);

    private long _lastUsed = Stopwatch.GetTimestamp();

    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    /// <summary>
    /// Takes nothing and fails: the limit may live in Redis, which cannot be asked without
    /// waiting. The middleware then awaits <see cref="AcquireAsyncCore"/>, which decides.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => new Lease(false, TimeSpan.Zero);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());
        if (permitCount == 0)
        {
            return Granted;
        }

        var decision = await take().ConfigureAwait(false);
        return decision.Allowed ? Granted : new Lease(false, decision.RetryAfter);
    }

    private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = !acquired && metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
