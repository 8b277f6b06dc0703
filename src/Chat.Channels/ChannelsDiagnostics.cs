namespace Chat.Channels;

/// <summary>
/// The names under which the channel layer reports: a <see cref="System.Diagnostics.Metrics.Meter"/>
/// and an <see cref="System.Diagnostics.ActivitySource"/>, for a host to export
/// (<c>AddMeter(ChannelsDiagnostics.MeterName)</c>, <c>AddSource(ChannelsDiagnostics.ActivitySourceName)</c>).
/// </summary>
/// <remarks>
/// Nothing is counted per delivered frame: a broadcast adds its fan-out once, and every
/// instrument is a counter or histogram with no tag or a tag from a small fixed set (the
/// transport, a refusal reason, a route pattern), never a topic or a user.
/// </remarks>
public static class ChannelsDiagnostics
{
    /// <summary>The meter of sockets, channels, messages, fan-out and pubsub (docs/operations.md lists its instruments).</summary>
    public const string MeterName = "Chat.Channels";

    /// <summary>The source of the <c>chat.socket.connect</c>, <c>chat.channel.join</c> and <c>chat.channel.in</c> spans.</summary>
    public const string ActivitySourceName = "Chat.Channels";
}
