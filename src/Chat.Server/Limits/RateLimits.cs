using System.Globalization;
using System.Threading.RateLimiting;
using Chat.Accounts;
using Chat.Channels;
using Chat.Channels.Redis;
using Chat.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Chat.Server.Limits;

/// <summary>
/// Every rate limit of the chat, in one place, asked alike by the channels and the HTTP
/// endpoints, so that a user's budget is one budget however the requests come
/// (<see cref="RateLimitOptions"/> has the numbers).
/// </summary>
/// <remarks>
/// <para>With several nodes (<c>ConnectionStrings:Redis</c>) every limit is kept in Redis
/// (<see cref="RedisRateLimiter"/>), so that it holds per user and per address whichever nodes
/// the requests reach. On one node, and on any node while Redis cannot be asked, the node keeps
/// them itself: token buckets (sending) are System.Threading.RateLimiting's, partitioned per
/// user, created on first use and dropped when idle; counts in a window (room creation, failed
/// sign-ins, sign-ups) are <see cref="FixedWindowCounters"/>, whose refusals know when the
/// window closes. Both answer alike, so a limit means the same on one node and on many.</para>
/// <para>HTTP endpoints spend these limits through ASP.NET Core's rate-limiting middleware
/// (<see cref="HttpRateLimiting"/>), whose limiters ask this class, so that a budget is one
/// budget over sockets and HTTP alike.</para>
/// <para>Every refusal is counted (<c>chat.rate_limited</c>, by kind), and a user over the
/// message, history or room limit is logged once a minute while it lasts, however fast it sends.</para>
/// </remarks>
public sealed partial class RateLimits : IDisposable
{
    private readonly RateLimitOptions _settings;
    private readonly HistoryRateLimitOptions _history;
    private readonly RedisRateLimiter? _shared;
    private readonly PartitionedRateLimiter<long> _messages;
    private readonly PartitionedRateLimiter<long> _historyPages;
    private readonly PartitionedRateLimiter<(long UserId, long RoomId)> _typing;
    private readonly FixedWindowCounters _roomCreations;
    private readonly FixedWindowCounters _signInFailuresByUsername;
    private readonly FixedWindowCounters _signInFailuresByAddress;
    private readonly FixedWindowCounters _signUps;
    private readonly PartitionedRateLimiter<(string Kind, long UserId)> _refusalLog;
    private readonly ILogger _logger;

    public RateLimits(
        IOptions<RateLimitOptions> options,
        IOptions<HistoryRateLimitOptions> history,
        TimeProvider clock,
        ILogger<RateLimits> logger,
        RedisRateLimiter? shared = null)
    {
        var settings = _settings = options.Value;
        _history = history.Value;
        _shared = shared;
        _logger = logger;
        _refusalLog = PartitionedRateLimiter.Create<(string Kind, long UserId), (string, long)>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 1,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _messages = TokenBuckets(settings.Burst, settings.MessagesPerSecond);
        _historyPages = TokenBuckets(_history.Burst, _history.PerSecond);
        _typing = PartitionedRateLimiter.Create<(long UserId, long RoomId), (long, long)>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 1,
            Window = settings.TypingInterval,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _roomCreations = new FixedWindowCounters(settings.RoomCreations, settings.RoomCreationWindow, clock);
        _signInFailuresByUsername = new FixedWindowCounters(settings.SignInFailuresPerUsername, settings.SignInFailureWindow, clock);
        _signInFailuresByAddress = new FixedWindowCounters(settings.SignInFailuresPerAddress, settings.SignInFailureWindow, clock);
        _signUps = new FixedWindowCounters(settings.SignUpsPerAddress, settings.SignUpWindow, clock);
    }

    /// <summary>Takes one message (a send, an edit, a delete, a reaction) from the user's bucket.</summary>
    public async ValueTask<RateDecision> SendAsync(long userId)
    {
        var decision = _shared is not null && await _shared.TakeAsync(UserKey("send", userId), _settings.Burst, _settings.MessagesPerSecond) is { } shared
            ? shared
            : RateDecision.From(_messages.AttemptAcquire(userId));
        return Counted(decision, "message", userId);
    }

    /// <summary>Takes one older page (<c>history</c>) from the user's bucket.</summary>
    public async ValueTask<RateDecision> ReadHistoryAsync(long userId)
    {
        var decision = _shared is not null && await _shared.TakeAsync(UserKey("history", userId), _history.Burst, _history.PerSecond) is { } shared
            ? shared
            : RateDecision.From(_historyPages.AttemptAcquire(userId));
        return Counted(decision, "history", userId);
    }

    /// <summary>True when a typing notice may go out now for this user in this room.</summary>
    public async ValueTask<bool> TypeAsync(long userId, long roomId)
    {
        bool allowed;
        if (_shared is not null
            && await _shared.TryOnceAsync(UserKey("typing", userId) + ":" + roomId.ToString(CultureInfo.InvariantCulture), _settings.TypingInterval) is { } shared)
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
            ServerDiagnostics.RateLimited.Add(1, ServerDiagnostics.Kind("typing"));
        }

        return allowed;
    }

    /// <summary>Counts a room the user is about to create; refused past the window's limit.</summary>
    public async ValueTask<RateDecision> CreateRoomAsync(long userId) =>
        Counted(await CountAsync(_roomCreations, "rooms", userId.ToString(CultureInfo.InvariantCulture), _settings.RoomCreations, _settings.RoomCreationWindow), "room", userId);

    /// <summary>Counts a sign-up attempt from a client address (<see cref="ClientAddress.Key"/>).</summary>
    public async ValueTask<RateDecision> SignUpAsync(string addressKey) =>
        Counted(await CountAsync(_signUps, "signup", addressKey, _settings.SignUpsPerAddress, _settings.SignUpWindow), "sign_up");

    /// <summary>
    /// Counts a sign-in as failed before its password is checked, against the username and the
    /// address: refused while either has had its fill of failures in the window, whatever the
    /// password. Counting first means that attempts made at once cannot all pass a check that
    /// none of them has counted yet; <see cref="SignInSucceededAsync"/> takes it back.
    /// </summary>
    public async ValueTask<RateDecision> SignInAttemptAsync(string? username, string addressKey)
    {
        var byAddress = await CountAsync(_signInFailuresByAddress, "signin-address", addressKey, _settings.SignInFailuresPerAddress, _settings.SignInFailureWindow);
        if (!byAddress.Allowed || UsernameKey(username) is not { } key)
        {
            return Counted(byAddress, "sign_in");
        }

        var byUsername = await CountAsync(_signInFailuresByUsername, "signin-user", key, _settings.SignInFailuresPerUsername, _settings.SignInFailureWindow);
        if (!byUsername.Allowed)
        {
            // Refused for the username's sake: no password was tried, so no failure of the address's.
            await UncountAsync(_signInFailuresByAddress, "signin-address", addressKey);
        }

        return Counted(byUsername, "sign_in");
    }

    /// <summary>The password was right: the attempt was no failure.</summary>
    public async ValueTask SignInSucceededAsync(string? username, string addressKey)
    {
        await UncountAsync(_signInFailuresByAddress, "signin-address", addressKey);
        if (UsernameKey(username) is { } key)
        {
            await UncountAsync(_signInFailuresByUsername, "signin-user", key);
        }
    }

    public void Dispose()
    {
        _messages.Dispose();
        _historyPages.Dispose();
        _typing.Dispose();
        _refusalLog.Dispose();
    }

    /// <summary>
    /// Counts a refusal by its kind; for a user's refusal, logs it too, once a minute per user
    /// and kind while it lasts. The decision, unchanged.
    /// </summary>
    private RateDecision Counted(RateDecision decision, string kind, long? userId = null)
    {
        if (decision.Allowed)
        {
            return decision;
        }

        ServerDiagnostics.RateLimited.Add(1, ServerDiagnostics.Kind(kind));
        if (userId is { } id)
        {
            using var logLease = _refusalLog.AttemptAcquire((kind, id));
            if (logLease.IsAcquired)
            {
                LogOverLimit(_logger, id, kind);
            }
        }

        return decision;
    }

    [LoggerMessage(1, LogLevel.Information,
        "User {UserId} is over its Chat:RateLimit for {Kind}; its requests are refused (logged once a minute while it lasts).")]
    private static partial void LogOverLimit(ILogger logger, long userId, string kind);

    private async ValueTask<RateDecision> CountAsync(FixedWindowCounters local, string kind, string key, int limit, TimeSpan window) =>
        _shared is not null && await _shared.CountAsync(kind + ":" + key, limit, window) is { } shared
            ? shared
            : local.Take(key);

    private async ValueTask UncountAsync(FixedWindowCounters local, string kind, string key)
    {
        if (_shared is null || !await _shared.UncountAsync(kind + ":" + key))
        {
            local.Refund(key);
        }
    }

    private static string UserKey(string kind, long userId) => kind + ":" + userId.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The key failures count against: the name as an account would hold it, and only a name an
    /// account could have, so that junk names cannot fill the table with keys of their own
    /// (they still count against the address).
    /// </summary>
    private static string? UsernameKey(string? username)
    {
        var errors = new Validation.FieldErrors();
        var clean = AccountRules.Username(errors, username);
        return errors.IsEmpty ? AccountRules.Normalize(clean!) : null;
    }

    private static PartitionedRateLimiter<long> TokenBuckets(int burst, double perSecond)
    {
        // Refill in small steps (a tenth of a second's worth) so the rate is smooth, not a
        // burst at the top of every second.
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(perSecond / 10));
        var options = new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / perSecond),
            QueueLimit = 0,
            // The partitioned limiter refills every bucket from one timer of its own, as
            // RateLimitPartition.GetTokenBucketLimiter arranges; a timer per user would cost more.
            AutoReplenishment = false,
        };

        // One factory for every user, made here: RateLimitPartition.GetTokenBucketLimiter would
        // allocate two closures and a delegate on every message, only to look up the user's bucket.
        Func<long, RateLimiter> bucket = _ => new TokenBucketRateLimiter(options);
        return PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.Get(userId, bucket));
    }
}
