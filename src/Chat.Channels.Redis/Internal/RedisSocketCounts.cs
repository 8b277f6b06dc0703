using Chat.Channels.Internal.Transport;
using Chat.Channels.Presence;
using StackExchange.Redis;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// A socket id's sockets counted over every node (<see cref="IClusterSocketCounts"/>), so that
/// one user's 50 sockets are 50 whichever nodes they reach. Each node keeps in a hash of its own
/// (<see cref="RedisKeys.Sockets"/>) how many sockets of each id it holds. A claim is one script
/// that adds up the counts of the live nodes, and records the node's new count only if the sum
/// stays within the limit: two nodes claiming at once cannot both take the last place.
/// </summary>
/// <remarks>
/// <para><b>Liveness is the presence tracker's.</b> A node counts while its heartbeat in the
/// nodes set (<see cref="RedisPresence"/>) is younger than
/// <see cref="RedisChannelsOptions.NodeTimeout"/>, the rule the sweep applies; the sweep that
/// removes a dead node's presences deletes its counts too. So a node killed with SIGKILL stops
/// counting after the node timeout and leaves nothing behind. One hash per node rather than one
/// per user for that reason: a dead node's counts are one key to delete, where counts kept by
/// user would stay in the keys of users who never connect again.</para>
/// <para><b>A node writes its count, never +1 or −1.</b> A write that is lost (Redis away) or
/// sent twice is put right by the id's next change; and whenever Redis may have lost this
/// node's counts (after an outage or a Redis restart, or when the others took the node for dead)
/// the node writes all of them again. Until then, and whenever Redis cannot be asked, each
/// node keeps the limit on its own sockets: users keep connecting while Redis is away.</para>
/// </remarks>
internal sealed class RedisSocketCounts : IClusterSocketCounts
{
    /// <summary>
    /// KEYS: nodes set. ARGV: key prefix, this node, socket id, this node's new count, limit,
    /// node timeout in ms. Returns 1 when recorded, 0 when the live nodes would hold too many.
    /// </summary>
    public static readonly RedisScript Claim = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local total = tonumber(ARGV[4])
        for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[6])), '+inf')) do
          if node ~= ARGV[2] then
            total = total + (tonumber(redis.call('HGET', ARGV[1] .. 'sockets:' .. node, ARGV[3])) or 0)
          end
        end
        if total > tonumber(ARGV[5]) then return 0 end
        redis.call('HSET', ARGV[1] .. 'sockets:' .. ARGV[2], ARGV[3], ARGV[4])
        return 1
        """);

    /// <summary>KEYS: this node's sockets hash. ARGV: id, count, id, count, …: the whole hash, replaced.</summary>
    public static readonly RedisScript Replace = new("""
        redis.call('DEL', KEYS[1])
        for i = 1, #ARGV, 2 do
          redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        return #ARGV / 2
        """);

    private readonly RedisBackplane _backplane;

    /// <summary>This node's count of every id it holds sockets of, as last told; under <see cref="_gate"/>.</summary>
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private volatile bool _stale;
    private bool _closed;

    /// <param name="backplane">This node's link to Redis.</param>
    /// <param name="presence">
    /// The presence tracker, which renews this node's heartbeat: without it this node's counts
    /// would not count. Taken here so that it runs on a node that holds sockets but no presences.
    /// </param>
    public RedisSocketCounts(RedisBackplane backplane, IPresence presence)
    {
        ArgumentNullException.ThrowIfNull(presence);
        _backplane = backplane;
        backplane.SocketCounts = this;
    }

    /// <summary>True when a change may not have reached Redis: the next upkeep writes every count again.</summary>
    public bool IsStale => _stale;

    private RedisKey Key => _backplane.Keys.Sockets(_backplane.NodeName);

    public ValueTask<bool?> TryRecordAsync(string id, int count, int limit)
    {
        Task<RedisResult> answer;
        lock (_gate)
        {
            Remember(id, count);
            if (_closed || _backplane.AvailableDatabase is not { } database)
            {
                _stale = true;
                return ValueTask.FromResult<bool?>(null);
            }

            // Sent before this returns, under the lock: one id's writes reach Redis in order.
            answer = Claim.EvaluateAsync(database, [_backplane.Keys.Nodes],
                [_backplane.Keys.Prefix, _backplane.NodeName, id, count, limit, (long)_backplane.Options.NodeTimeout.TotalMilliseconds]);
        }

        return AnswerAsync(answer);
    }

    private async ValueTask<bool?> AnswerAsync(Task<RedisResult> answer)
    {
        try
        {
            return (long)await answer.ConfigureAwait(false) == 1;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _stale = true;
            RedisLog.SocketCountFailed(_backplane.Logger, ex);
            return null;
        }
    }

    public void Record(string id, int count)
    {
        lock (_gate)
        {
            Remember(id, count);
            if (_closed || _backplane.AvailableDatabase is not { } database)
            {
                _stale = true;
                return;
            }

            Task written;
            try
            {
                written = count == 0 ? database.HashDeleteAsync(Key, id) : database.HashSetAsync(Key, id, count);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _stale = true;
                RedisLog.SocketCountFailed(_backplane.Logger, ex);
                return;
            }

            if (!written.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(written);
            }
        }
    }

    private async Task ObserveAsync(Task written)
    {
        try
        {
            await written.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _stale = true;
            RedisLog.SocketCountFailed(_backplane.Logger, ex);
        }
    }

    /// <summary>Writes every count of this node again, replacing what Redis holds for it.</summary>
    public async Task RewriteAsync()
    {
        Task<RedisResult> written;
        lock (_gate)
        {
            if (_closed || _backplane.AvailableDatabase is not { } database)
            {
                return;
            }

            _stale = false;
            var values = new RedisValue[_counts.Count * 2];
            var i = 0;
            foreach (var (id, count) in _counts)
            {
                values[i++] = id;
                values[i++] = count;
            }

            written = Replace.EvaluateAsync(database, [Key], values);
        }

        try
        {
            await written.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _stale = true;
            RedisLog.SocketCountFailed(_backplane.Logger, ex);
        }
    }

    /// <summary>The node is leaving: its counts are deleted with its heartbeat, and nothing writes them again.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    private void Remember(string id, int count)
    {
        if (count == 0)
        {
            _counts.Remove(id);
        }
        else
        {
            _counts[id] = count;
        }
    }
}
