using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.Channels.Internal;

/// <summary>
/// The channel layer's instruments and spans (<see cref="ChannelsDiagnostics"/>). Static, as
/// a library's instruments usually are: the pubsub's local delivery, where fan-out is counted,
/// is made without dependency injection. An instrument nobody listens to costs a branch.
/// </summary>
internal static class ChannelsMetrics
{
    public const string WebSocket = "websocket";
    public const string LongPoll = "longpoll";

    private static readonly Meter Meter = new(ChannelsDiagnostics.MeterName);

    public static readonly ActivitySource Source = new(ChannelsDiagnostics.ActivitySourceName);

    public static readonly UpDownCounter<long> ActiveSockets =
        Meter.CreateUpDownCounter<long>("chat.sockets.active", "{socket}", "Sockets open on this node.");

    public static readonly Counter<long> Connects =
        Meter.CreateCounter<long>("chat.sockets.connects", "{socket}", "Sockets opened.");

    public static readonly Counter<long> Refusals =
        Meter.CreateCounter<long>("chat.sockets.refused", "{socket}", "Sockets refused, by reason.");

    public static readonly Counter<long> IdleTimeouts =
        Meter.CreateCounter<long>("chat.sockets.idle_timeouts", "{socket}", "Sockets closed after sending nothing, not even a heartbeat, for Chat:Channels:IdleTimeout.");

    public static readonly Counter<long> SlowConsumers =
        Meter.CreateCounter<long>("chat.sockets.slow_consumers", "{socket}", "Sockets disconnected because they did not read what they were sent.");

    public static readonly Counter<long> DroppedFrames =
        Meter.CreateCounter<long>("chat.sockets.dropped_frames", "{frame}", "Frames discarded with the send queue of a slow consumer.");

    public static readonly UpDownCounter<long> ActiveChannels =
        Meter.CreateUpDownCounter<long>("chat.channels.active", "{channel}", "Channels joined on this node, by route.");

    public static readonly Counter<long> Joins =
        Meter.CreateCounter<long>("chat.channels.joins", "{join}", "Joins, by route and result (ok, error, crashed, unmatched, too_many_channels).");

    public static readonly Counter<long> MessagesReceived =
        Meter.CreateCounter<long>("chat.messages.received", "{message}", "Messages received from clients, heartbeats included.");

    public static readonly Counter<long> MessagesSent =
        Meter.CreateCounter<long>("chat.messages.sent", "{message}", "Messages handed to sockets: replies, pushes and every delivery of a broadcast.");

    public static readonly Histogram<int> Fanout = Meter.CreateHistogram<int>(
        "chat.broadcasts.fanout", "{socket}", "Subscribers on this node that one broadcast reached.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000] });

    public static readonly Counter<long> Published =
        Meter.CreateCounter<long>("chat.pubsub.published", "{broadcast}", "Broadcasts published to the pubsub by this node.");

    public static readonly Counter<long> Received =
        Meter.CreateCounter<long>("chat.pubsub.received", "{broadcast}", "Broadcasts the pubsub delivered to this node's subscribers.");

    public static KeyValuePair<string, object?> Transport(string transport) => new("transport", transport);

    public static KeyValuePair<string, object?> Reason(string reason) => new("reason", reason);

    public static KeyValuePair<string, object?> Route(string route) => new("route", route);

    public static KeyValuePair<string, object?> Result(string result) => new("result", result);
}
