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

    /// <summary>The connections this node may hold: the configured number, or what the open-file limit allows.</summary>
    public long? Budget() => MaxConnections ?? ConnectionLimit.FromOpenFileLimit(ConnectionLimit.ReadOpenFileLimit());
}
