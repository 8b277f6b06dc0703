using Chat.Channels.Redis.Internal;
using StackExchange.Redis;

namespace Chat.Channels.Redis;

/// <summary>
/// Rate limits that hold across every node: token buckets and throttles kept in Redis, on the
/// backplane's connection, one round trip each. While Redis is away every call answers
/// <c>null</c>, so that the caller can fall back to a limit of its own node.
/// </summary>
public sealed class RedisRateLimiter
{
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
        if tokens >= 1 then
          tokens = tokens - 1
          taken = 1
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
        return taken
        """);

    private readonly RedisBackplane _backplane;

    internal RedisRateLimiter(RedisBackplane backplane) => _backplane = backplane;

    /// <summary>
    /// Takes a token from the bucket named <paramref name="key"/>, which holds at most
    /// <paramref name="capacity"/> and refills at <paramref name="perSecond"/>. True when there
    /// was one; null while Redis cannot be asked.
    /// </summary>
    public async ValueTask<bool?> TryTakeAsync(string key, int capacity, double perSecond)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        if (await DatabaseAsync().ConfigureAwait(false) is not { } database)
        {
            return null;
        }

        try
        {
            return (long)await TakeToken.EvaluateAsync(database, [_backplane.Keys.Rate(key)], [capacity, perSecond]).ConfigureAwait(false) == 1;
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
}
