using System.Globalization;
using System.Threading.RateLimiting;
using Chat.Accounts;
using Microsoft.Extensions.Options;

namespace Chat.Server.Limits;

/// <summary>
/// Every rate limit of the chat, in one place, asked alike by the channels and the HTTP
/// endpoints, so that a user's budget is one budget however the requests come
/// (<see cref="RateLimitOptions"/> has the numbers).
/// </summary>
/// <remarks>
/// <para>Token buckets (sending, history) are System.Threading.RateLimiting's, partitioned per
/// user: one limiter per key, created on first use and dropped when idle by the partitioned
/// limiter, which also refills every bucket from one timer. Counts in a window (room creation,
/// failed sign-ins, sign-ups) are <see cref="FixedWindowCounters"/>, whose refusals know when
/// the window closes.</para>
/// <para>The endpoints do not use ASP.NET Core's rate-limiting middleware: its limiters belong to
/// the middleware, so an HTTP post and a socket's <c>new_msg</c> could not share a bucket, and
/// the limits of sign-in count failures, which only the endpoint knows of.</para>
/// </remarks>
public sealed class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<long> _messages;
    private readonly PartitionedRateLimiter<long> _history;
    private readonly PartitionedRateLimiter<(long UserId, long RoomId)> _typing;
    private readonly FixedWindowCounters _roomCreations;
    private readonly FixedWindowCounters _signInFailuresByUsername;
    private readonly FixedWindowCounters _signInFailuresByAddress;
    private readonly FixedWindowCounters _signUps;

    public RateLimits(IOptions<RateLimitOptions> options, TimeProvider clock)
    {
        var settings = options.Value;
        _messages = TokenBuckets(settings.Burst, settings.MessagesPerSecond);
        _history = TokenBuckets(settings.HistoryBurst, settings.HistoryPerSecond);
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
    public ValueTask<RateDecision> SendAsync(long userId) => ValueTask.FromResult(RateDecision.From(_messages.AttemptAcquire(userId)));

    /// <summary>Takes one history page from the user's bucket.</summary>
    public ValueTask<RateDecision> HistoryAsync(long userId) => ValueTask.FromResult(RateDecision.From(_history.AttemptAcquire(userId)));

    /// <summary>True when a typing notice may go out now for this user in this room.</summary>
    public ValueTask<bool> TypeAsync(long userId, long roomId)
    {
        using var lease = _typing.AttemptAcquire((userId, roomId));
        return ValueTask.FromResult(lease.IsAcquired);
    }

    /// <summary>Counts a room the user is about to create; refused past the window's limit.</summary>
    public ValueTask<RateDecision> CreateRoomAsync(long userId) =>
        ValueTask.FromResult(_roomCreations.Take(userId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Counts a sign-up attempt from a client address (<see cref="Chat.Channels.ClientAddress.Key"/>).</summary>
    public ValueTask<RateDecision> SignUpAsync(string addressKey) => ValueTask.FromResult(_signUps.Take(addressKey));

    /// <summary>
    /// Counts a sign-in as failed before its password is checked, against the username and the
    /// address: refused while either has had its fill of failures in the window, whatever the
    /// password. Counting first means that attempts made at once cannot all pass a check that
    /// none of them has counted yet; <see cref="SignInSucceededAsync"/> takes it back.
    /// </summary>
    public ValueTask<RateDecision> SignInAttemptAsync(string? username, string addressKey)
    {
        var byAddress = _signInFailuresByAddress.Take(addressKey);
        if (!byAddress.Allowed || UsernameKey(username) is not { } key)
        {
            return ValueTask.FromResult(byAddress);
        }

        var byUsername = _signInFailuresByUsername.Take(key);
        if (!byUsername.Allowed)
        {
            _signInFailuresByAddress.Refund(addressKey);
        }

        return ValueTask.FromResult(byUsername);
    }

    /// <summary>The password was right: the attempt was no failure.</summary>
    public ValueTask SignInSucceededAsync(string? username, string addressKey)
    {
        _signInFailuresByAddress.Refund(addressKey);
        if (UsernameKey(username) is { } key)
        {
            _signInFailuresByUsername.Refund(key);
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _messages.Dispose();
        _history.Dispose();
        _typing.Dispose();
    }

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
        var period = TimeSpan.FromSeconds(tokensPerPeriod / perSecond);
        return PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }
}
