using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;

namespace Chat.Channels.Presence;

/// <summary>
/// Makes the <c>phx_ref</c> of each tracked meta: a random name for this process, then a
/// counter. Clients tell metas apart only by this ref, so it must never repeat, not across
/// the nodes of one chat and not across restarts of one node.
/// </summary>
/// <remarks>
/// The name is 72 random bits, drawn once per process: two processes (nodes, or one node
/// before and after a restart) share it with a chance of about n²/2⁷³ for n processes,
/// which is nothing. Within a process the 64-bit counter does the rest, without a lock.
/// A ref looks like <c>Hq3Zk0p_wV1c.1f</c>; the dot cannot occur in the base64url name.
/// </remarks>
internal static class PresenceRefs
{
    private static readonly string NodeName = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(9));
    private static long _counter;

    /// <summary>The next ref; safe from any thread.</summary>
    public static string Next()
    {
        var n = (ulong)Interlocked.Increment(ref _counter);
        return string.Create(CultureInfo.InvariantCulture, $"{NodeName}.{n:x}");
    }
}
