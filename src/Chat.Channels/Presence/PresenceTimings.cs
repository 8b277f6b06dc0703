namespace Chat.Channels.Presence;

/// <summary>When a tracker sends a topic's pending changes.</summary>
internal static class PresenceTimings
{
    /// <summary>Above the list limit, the count is what changes: members hear it once a second, not ten times.</summary>
    public static readonly TimeSpan CountInterval = TimeSpan.FromSeconds(1);

    public static TimeSpan FlushDelay(PresenceView view, TimeSpan interval) =>
        view.KeyCount > view.ListLimit && interval < CountInterval ? CountInterval : interval;
}
