using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Chat.Channels.Redis;

namespace Chat.Server.Channels;

/// <summary>The <c>Chat:RateLimit</c> configuration section.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Chat:RateLimit";

    /// <summary>Messages a user may send per second, sustained, across all their sockets.</summary>
    [Range(0.01, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>Messages a user may send at once after being quiet.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int Burst { get; set; } = 20;

    /// <summary>At most one typing notice per user and room in this interval.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "must be between zero and an hour")]
    public TimeSpan TypingInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Per-user token buckets for sending, and per-user-and-room throttling of typing notices.
/// With several nodes they live in Redis, so they hold per user whichever nodes the user's
/// sockets are on; on one node (or while Redis is away) they live here: one limiter per key,
/// created on first use and dropped when idle by the partitioned limiter, which also
/// replenishes every bucket from one timer.
/// </summary>
public sealed partial class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<long> _messages;
    // One log line per user and minute while it stays over the limit, however fast it sends.
    private readonly PartitionedRateLimiter<long> _refusalLog;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly PartitionedRateLimiter<(long UserId, long RoomId)> _typing;
    private readonly RateLimitOptions _settings;
    private readonly RedisRateLimiter? _shared;

    public RateLimits(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options, IServiceProvider services, Microsoft.Extensions.Logging.ILogger<RateLimits> logger)
    {
        var settings = _settings = options.Value;
        _shared = services.GetService<RedisRateLimiter>();
        _logger = logger;
        _refusalLog = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetFixedWindowLimiter(userId, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 1,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        // Refill in small steps (a tenth of a second's worth) so the rate is smooth, not a
        // burst at the top of every second.
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(settings.MessagesPerSecond / 10));
        var period = TimeSpan.FromSeconds(tokensPerPeriod / settings.MessagesPerSecond);
        _messages = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _typing = PartitionedRateLimiter.Create<(long UserId, long RoomId), (long, long)>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 1,
            Window = settings.TypingInterval,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one message from the user's bucket; false when it is empty.</summary>
    public async ValueTask<bool> TrySendAsync(long userId)
    {
        if (_shared is not null
            && await _shared.TryTakeAsync(Key("send", userId), _settings.Burst, _settings.MessagesPerSecond) is { } taken)
        {
            return taken || Refused(userId);
        }

        using var lease = _messages.AttemptAcquire(userId);
        return lease.IsAcquired || Refused(userId);
    }

    /// <summary>True when a typing notice may go out now for this user in this room.</summary>
    public async ValueTask<bool> TryTypeAsync(long userId, long roomId)
    {
        bool allowed;
        if (_shared is not null
            && await _shared.TryOnceAsync(Key("typing", userId) + ":" + roomId.ToString(CultureInfo.InvariantCulture), _settings.TypingInterval) is { } shared)
        {
            allowed = shared;
        }
        else
        {
            using var lease = _typing.AttemptAcquire((userId, roomId));
            allowed = lease.IsAcquired;
        }

        if (!allowed)
        {
            Telemetry.ServerDiagnostics.RateLimited.Add(1, Telemetry.ServerDiagnostics.Kind("typing"));
        }

        return allowed;
    }

    /// <summary>Counts a refused message, and logs it once a minute per user while it lasts; always false.</summary>
    private bool Refused(long userId)
    {
        Telemetry.ServerDiagnostics.RateLimited.Add(1, Telemetry.ServerDiagnostics.Kind("message"));
        using var logLease = _refusalLog.AttemptAcquire(userId);
        if (logLease.IsAcquired)
        {
            LogOverLimit(_logger, userId);
        }

        return false;
    }

    private static string Key(string kind, long userId) => kind + ":" + userId.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _messages.Dispose();
        _refusalLog.Dispose();
        _typing.Dispose();
    }

    [Microsoft.Extensions.Logging.LoggerMessage(1, Microsoft.Extensions.Logging.LogLevel.Information,
        "User {UserId} is sending faster than Chat:RateLimit allows; its messages are refused (logged once a minute while it lasts).")]
    private static partial void LogOverLimit(Microsoft.Extensions.Logging.ILogger logger, long userId);
}
