using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Limits</c> section: what one node holds at most.</summary>
public sealed class LimitsOptions
{
    public const string Section = "Chat:Limits";

    /// <summary>
    /// Connections held at once. Unset: the process's open-file limit less a twentieth (at least
    /// 512 spare), see <see cref="ConnectionLimit"/>.
    /// </summary>
    [Range(16, long.MaxValue, ErrorMessage = "must be at least {1}")]
    public long? MaxConnections { get; set; }

    /// <summary>
    /// The largest HTTP request body, in bytes; a larger one is answered 413 before it is read.
    /// The biggest request of the API is a message at its longest (4000 characters, at most
    /// 16,000 bytes of UTF-8, or about six times that written as JSON <c>\u</c> escapes), so
    /// 128 KiB fits every well-formed request, where Kestrel's own default of 30 MB would let
    /// one request hold 30 MB of the server's memory. Raise it with <c>Chat:Messages:MaxLength</c>.
    /// </summary>
    [Range(1024, 64L * 1024 * 1024, ErrorMessage = "must be between {1} and {2} bytes")]
    public long MaxRequestBodyBytes { get; set; } = 128 * 1024;

    /// <summary>The connections this node may hold: the configured number, or what the open-file limit allows.</summary>
    public long? Budget() => MaxConnections ?? ConnectionLimit.FromOpenFileLimit(ConnectionLimit.ReadOpenFileLimit());
}
