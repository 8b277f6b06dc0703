namespace Chat;

/// <summary>Times as the chat stores them.</summary>
internal static class Clock
{
    /// <summary>Now, in whole milliseconds: what both databases store exactly and what clients display.</summary>
    public static DateTime Now(TimeProvider clock) => TruncateToMilliseconds(clock.GetUtcNow().UtcDateTime);

    public static DateTime TruncateToMilliseconds(DateTime value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
}
