using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Chat.Channels.Redis.Internal;

/// <summary>
/// A Lua script run by its SHA1 (<c>EVALSHA</c>), so that the text crosses the wire once per
/// Redis start, not once per call; a Redis that does not know it yet (just restarted) gets it
/// with the call that needs it.
/// </summary>
internal sealed class RedisScript(string text)
{
    public string Text { get; } = text;

    public byte[] Hash { get; } = SHA1.HashData(Encoding.UTF8.GetBytes(text));

    public async Task<RedisResult> EvaluateAsync(IDatabase database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(Hash, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Text, keys, values).ConfigureAwait(false);
        }
    }

    /// <summary>Loads the script, so that the calls that follow find it.</summary>
    public Task LoadAsync(IDatabase database) => database.ExecuteAsync("SCRIPT", "LOAD", Text);
}
