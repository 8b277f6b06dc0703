namespace Chat.Channels.Redis.Internal;

/// <summary>
/// Puts a topic's sequenced broadcasts in order, inside Redis, where every node's publishes
/// meet. Why: ids are assigned at commit, and commits on several nodes interleave, so node A
/// may publish message 11 before node B publishes message 10. Each sequenced broadcast names
/// the one before it in its topic; a script publishes it only once that one is out, and keeps
/// it waiting in the topic's sequence hash until then, so subscribers get the topic's
/// broadcasts in order from one ordered stream.
/// </summary>
/// <remarks>
/// <para>Positions stay strings inside the scripts: Lua's numbers are doubles, and writing one
/// back would turn a large id into <c>1e+15</c>. They are compared as numbers only.</para>
/// <para>The sequence hash holds <c>last</c> (the last one published) and, for each waiting
/// broadcast, <c>w{previous}</c> (its position) and <c>b{previous}</c> (its body). Publishing a
/// broadcast releases the chain of those waiting behind it.</para>
/// <para>A topic Redis knows nothing of starts at 0, so a new room's first message goes out at
/// once and its second waits for it, whichever node stored it.</para>
/// <para>Where order cannot be kept, the broadcast goes out as <see cref="Envelope.Resync"/>,
/// and every node makes the topic's channels rejoin, to catch up from storage: when the one
/// before it never comes (its node died between commit and publish, or Redis lost its data
/// and with it the topic's last), <see cref="Force"/> sends it after
/// <see cref="RedisChannelsOptions.SequenceGapTimeout"/>; and when it comes after a later one.</para>
/// </remarks>
internal static class SequenceScripts
{
    /// <summary>
    /// Lua shared by both scripts: from <c>ARGV[3]</c>, just published, publishes every broadcast
    /// waiting behind it, in order, and leaves <c>at</c> at the last one published.
    /// </summary>
    private const string ReleaseWaiting = """
        local at = ARGV[3]
        while true do
          local nxt = redis.call('HGET', KEYS[1], 'w' .. at)
          if not nxt then break end
          local waiting = redis.call('HGET', KEYS[1], 'b' .. at)
          redis.call('HDEL', KEYS[1], 'w' .. at, 'b' .. at)
          redis.call('PUBLISH', ARGV[1], 'B' .. waiting)
          at = nxt
        end
        """;

    /// <summary>KEYS: sequence hash. ARGV: channel, previous, current, body. Returns 0 published, 1 waiting, 2 duplicate.</summary>
    public static readonly RedisScript Publish = new("""
        local prev = tonumber(ARGV[2])
        local cur = tonumber(ARGV[3])
        local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
        if cur == last then return 2 end
        if cur < last then
          redis.call('PUBLISH', ARGV[1], 'R' .. ARGV[4])
          return 0
        end
        if prev ~= last then
          redis.call('HSET', KEYS[1], 'w' .. ARGV[2], ARGV[3], 'b' .. ARGV[2], ARGV[4])
          return 1
        end
        redis.call('PUBLISH', ARGV[1], 'B' .. ARGV[4])
        """ + "\n" + ReleaseWaiting + "\n" + """
        redis.call('HSET', KEYS[1], 'last', at)
        return 0
        """);

    /// <summary>
    /// KEYS: sequence hash. ARGV: channel, previous, current. Publishes a broadcast still
    /// waiting for its predecessor, as a resync, and the chain behind it. Returns 1 when it
    /// was still waiting, 0 when it had gone out meanwhile.
    /// </summary>
    public static readonly RedisScript Force = new("""
        local waiting = redis.call('HGET', KEYS[1], 'w' .. ARGV[2])
        if waiting ~= ARGV[3] then return 0 end
        local body = redis.call('HGET', KEYS[1], 'b' .. ARGV[2])
        redis.call('HDEL', KEYS[1], 'w' .. ARGV[2], 'b' .. ARGV[2])
        redis.call('PUBLISH', ARGV[1], 'R' .. body)
        """ + "\n" + ReleaseWaiting + "\n" + """
        local last = redis.call('HGET', KEYS[1], 'last')
        if not last or tonumber(at) > tonumber(last) then redis.call('HSET', KEYS[1], 'last', at) end
        return 1
        """);
}
