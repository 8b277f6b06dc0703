namespace Chat.Server.Contract;

/// <summary>The <c>reason</c> of a channel's error replies (CONTRACT.md §3–§5).</summary>
public static class ChannelReasons
{
    public const string RoomNotFound = "room not found";
    public const string NotFound = "not found";
    public const string Forbidden = "forbidden";
    public const string Unauthorized = "unauthorized";
    public const string RateLimited = "rate_limited";
    public const string UnknownEvent = "unknown event";
    public const string Unavailable = "unavailable";
}
