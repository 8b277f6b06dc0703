using Chat.Channels.Redis.Internal;
using StackExchange.Redis;

namespace Chat.Channels.Redis;

/// <summary>
/// Rate limits that hold across every node: token buckets, counts in a window and throttles
/// kept in Redis, on the backplane's connection, one round trip each. A refusal says how long
/// until the limit would let the request through (Redis's clock, so nodes whose clocks drift
/// still agree). While Redis is away every call answers <c>null</c>, so that the caller can
/// fall back to a limit of its own node.
/// </summary>
public sealed class RedisRateLimiter
{
    // Returns {taken, milliseconds until a token is there}.
    private static readonly RedisScript TakeToken = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local capacity = tonumber(ARGV[1])
        local per_ms = tonumber(ARGV[2]) / 1000
        local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(bucket[1]) or capacity
        local at = tonumber(bucket[2]) or now
        tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
        local taken = 0
        local wait = 0
        if tokens >= 1 then
          tokens = tokens - 1
          taken = 1
        else
          wait = math.ceil((1 - tokens) / per_ms)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
        return {taken, wait}
        """);

    // A window opens with a key's first event and closes ARGV[2] ms later; a refused event is
    // not counted. Returns {counted, milliseconds until the window closes}.
    private static readonly RedisScript CountInWindow = new("""
        local count = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if count == 1 or ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        if count > tonumber(ARGV[1]) then
          redis.call('DECR', KEYS[1])
          return {0, ttl}
        end
        return {1, ttl}
        """);

    private static readonly RedisScript UncountInWindow = new("""
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count > 0 then
          redis.call('DECR', KEYS[1])
        end
        return count
        """);

    private readonly RedisBackplane _backplane;

    internal RedisRateLimiter(RedisBackplane backplane) => _backplane = backplane;

    /// <summary>
    /// Takes a token from the bucket named <paramref name="key"/>, which holds at most
    /// <paramref name="capacity"/> and refills at <paramref name="perSecond"/>. Refused while it
    /// is empty, with the time until the next token; null while Redis cannot be asked.
    /// </summary>
    public async ValueTask<RateDecision?> TakeAsync(string key, int capacity, double perSecond)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        return await EvaluateAsync(TakeToken, key, [capacity, perSecond]).ConfigureAwait(false) is { } result
            ? Decision(result)
            : null;
    }

    /// <summary>
    /// Counts an event for <paramref name="key"/> in a window that opens with the key's first
    /// event and closes <paramref name="window"/> later: at most <paramref name="limit"/> per
    /// window. A refused event is not counted, and its refusal says when the window closes;
    /// null while Redis cannot be asked.
    /// </summary>
    public async ValueTask<RateDecision?> CountAsync(string key, int limit, TimeSpan window)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        return await EvaluateAsync(CountInWindow, key, [limit, (long)Math.Ceiling(window.TotalMilliseconds)]).ConfigureAwait(false) is { } result
            ? Decision(result)
            : null;
    }

    /// <summary>
    /// Takes back one event that <see cref="CountAsync"/> counted in the window still open (an
    /// attempt counted before its outcome was known). False while Redis cannot be asked.
    /// </summary>
    public async ValueTask<bool> UncountAsync(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return await EvaluateAsync(UncountInWindow, key, []).ConfigureAwait(false) is not null;
    }

    /// <summary>True at most once per <paramref name="interval"/> for <paramref name="key"/>; null while Redis cannot be asked.</summary>
    public async ValueTask<bool?> TryOnceAsync(string key, TimeSpan interval)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (await DatabaseAsync().ConfigureAwait(false) is not { } database)
        {
            return null;
        }

        try
        {
            return await database.StringSetAsync(_backplane.Keys.Rate(key), 1, interval, When.NotExists).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    private static RateDecision Decision(RedisResult result)
    {
        var values = (RedisResult[])result!;
        return (long)values[0] == 1 ? RateDecision.Allow : RateDecision.Refuse(TimeSpan.FromMilliseconds((long)values[1]));
    }

    private async ValueTask<RedisResult?> EvaluateAsync(RedisScript script, string key, RedisValue[] values)
    {
        if (await DatabaseAsync().ConfigureAwait(false) is not { } database)
        {
            return null;
        }

        try
        {
            return await script.EvaluateAsync(database, [_backplane.Keys.Rate(key)], values).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The database while Redis answers; waits for the first connection while the node starts.</summary>
    private async ValueTask<IDatabase?> DatabaseAsync()
    {
        if (!_backplane.Connected.IsCompleted)
        {
            try
            {
                await _backplane.Connected.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return null;
            }
        }

        return _backplane.AvailableDatabase;
    }
}
