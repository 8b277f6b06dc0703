using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Limits;

/// <summary>
/// The <c>Chat:RateLimit:History</c> section: how many older pages (<c>history</c>) a user may
/// read. Each page is a database query, so without a limit one socket could keep the database
/// busy for everyone.
/// </summary>
public sealed class HistoryRateLimitOptions
{
    public const string Section = RateLimitOptions.Section + ":History";

    /// <summary>
    /// <c>history</c> pages a user may read per second, sustained, across all their sockets.
    /// A reader scrolling back asks for a page every second or so.
    /// </summary>
    [Range(0.01, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public double PerSecond { get; set; } = 5;

    /// <summary>Pages a user may read at once after being quiet.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int Burst { get; set; } = 20;
}
