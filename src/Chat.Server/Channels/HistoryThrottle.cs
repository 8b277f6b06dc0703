using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Chat.Channels.Redis;
using Microsoft.Extensions.Options;

namespace Chat.Server.Channels;

/// <summary>The <c>Chat:RateLimit:History</c> configuration section.</summary>
public sealed class HistoryRateLimitOptions
{
    public const string Section = "Chat:RateLimit:History";

    /// <summary>
    /// <c>history</c> pages a user may read per second, sustained, across all their sockets.
    /// A reader scrolling back asks for a page every second or so; each page is a database query.
    /// </summary>
    [Range(0.01, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public double PerSecond { get; set; } = 5;

    /// <summary>Pages a user may read at once after being quiet.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int Burst { get; set; } = 20;
}

/// <summary>
/// A token bucket per user for the <c>history</c> event, which reads the database on every
/// call: without it one socket could keep the database busy for everyone. Shared through
/// Redis when there are several nodes, so it holds per user whichever node a socket is on;
/// on one node (or while Redis is away) it lives here.
/// </summary>
public sealed class HistoryThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<long> _local;
    private readonly HistoryRateLimitOptions _settings;
    private readonly RedisRateLimiter? _shared;

    public HistoryThrottle(IOptions<HistoryRateLimitOptions> options, IServiceProvider services)
    {
        var settings = _settings = options.Value;
        _shared = services.GetService<RedisRateLimiter>();
        _local = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1 / settings.PerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one page from the user's bucket; false when it is empty.</summary>
    public async ValueTask<bool> TryReadAsync(long userId)
    {
        if (_shared is not null
            && await _shared.TakeAsync("history:" + userId.ToString(CultureInfo.InvariantCulture), _settings.Burst, _settings.PerSecond) is { } taken)
        {
            return taken.Allowed;
        }

        using var lease = _local.AttemptAcquire(userId);
        return lease.IsAcquired;
    }

    public void Dispose() => _local.Dispose();
}
