namespace Chat.Channels.Redis.Internal;

/// <summary>
/// Presence in Redis: each change is one script, which updates the stored state and publishes
/// the change on the topic's channel in one step, so that every node's replica, loaded from
/// the state and kept up from the channel, sees each change once and in one order.
/// </summary>
/// <remarks>
/// <para>Keys: a topic's presence hash (<c>phx_ref</c> → <c>seq node key meta</c> as netstrings,
/// and <c>#seq</c>, the counter that orders the topic's entries); each node's hash
/// (<c>phx_ref</c> → topic), so that whoever finds the node dead can remove its entries; and
/// the nodes' sorted set, scored by each node's last heartbeat on Redis's own clock.</para>
/// <para>Messages: <c>J</c> <c>node ref seq key meta</c>, <c>L</c> <c>node ref…</c>, as netstrings
/// (see <see cref="Envelope"/>).</para>
/// </remarks>
internal static class PresenceScripts
{
    /// <summary>
    /// KEYS: presence hash, node hash. ARGV: channel, node, ref, key, meta, topic. Returns the
    /// entry's seq, or its existing seq when the ref is already there (a node putting back its
    /// own entries after Redis lost them, or after it was taken for dead).
    /// </summary>
    public static readonly RedisScript Track = new("""
        local existing = redis.call('HGET', KEYS[1], ARGV[3])
        if existing then
          redis.call('HSET', KEYS[2], ARGV[3], ARGV[6])
          local colon = string.find(existing, ':', 1, true)
          return tonumber(string.sub(existing, colon + 1, colon + tonumber(string.sub(existing, 1, colon - 1))))
        end
        local seq = tostring(redis.call('HINCRBY', KEYS[1], '#seq', 1))
        local fields = #seq .. ':' .. seq .. #ARGV[2] .. ':' .. ARGV[2] .. #ARGV[4] .. ':' .. ARGV[4] .. #ARGV[5] .. ':' .. ARGV[5]
        redis.call('HSET', KEYS[1], ARGV[3], fields)
        redis.call('HSET', KEYS[2], ARGV[3], ARGV[6])
        redis.call('PUBLISH', ARGV[1], 'J' .. #ARGV[2] .. ':' .. ARGV[2] .. #ARGV[3] .. ':' .. ARGV[3] .. #seq .. ':' .. seq .. #ARGV[4] .. ':' .. ARGV[4] .. #ARGV[5] .. ':' .. ARGV[5])
        return tonumber(seq)
        """);

    /// <summary>KEYS: presence hash, node hash. ARGV: channel, node, ref. Returns 1 when the entry was there.</summary>
    public static readonly RedisScript Untrack = new("""
        redis.call('HDEL', KEYS[2], ARGV[3])
        if redis.call('HDEL', KEYS[1], ARGV[3]) == 0 then return 0 end
        if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
        redis.call('PUBLISH', ARGV[1], 'L' .. #ARGV[2] .. ':' .. ARGV[2] .. #ARGV[3] .. ':' .. ARGV[3])
        return 1
        """);

    /// <summary>KEYS: nodes set. ARGV: node. Returns 1 when the node was not in the set (new, or taken for dead).</summary>
    public static readonly RedisScript Heartbeat = new("""
        local t = redis.call('TIME')
        return redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[1])
        """);

    /// <summary>
    /// KEYS: nodes set. ARGV: key prefix, node timeout in ms, this node. Removes the entries of
    /// every node (but this one) whose heartbeat is older than the timeout, and publishes their
    /// leaves, one message per topic; its socket counts go too (<see cref="RedisSocketCounts"/>). Atomic, so two nodes sweeping at once remove each entry
    /// once. Returns { node, count, node, count, … }.
    /// </summary>
    public static readonly RedisScript Sweep = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 16)
        local swept = {}
        for _, node in ipairs(dead) do
          if node ~= ARGV[3] then
            local node_key = ARGV[1] .. 'node:' .. node
            local refs = redis.call('HGETALL', node_key)
            local leaves = {}
            local count = 0
            for i = 1, #refs, 2 do
              local ref, topic = refs[i], refs[i + 1]
              local presence_key = ARGV[1] .. 'presence:' .. topic
              if redis.call('HDEL', presence_key, ref) == 1 then
                if redis.call('HLEN', presence_key) <= 1 then redis.call('DEL', presence_key) end
                local parts = leaves[topic]
                if not parts then
                  parts = { 'L', #node, ':', node }
                  leaves[topic] = parts
                end
                parts[#parts + 1] = #ref .. ':' .. ref
                count = count + 1
              end
            end
            for topic, parts in pairs(leaves) do
              redis.call('PUBLISH', ARGV[1] .. 'topic:' .. topic, table.concat(parts))
            end
            redis.call('DEL', node_key)
            redis.call('DEL', ARGV[1] .. 'sockets:' .. node)
            redis.call('ZREM', KEYS[1], node)
            swept[#swept + 1] = node
            swept[#swept + 1] = count
          end
        end
        return swept
        """);
}
