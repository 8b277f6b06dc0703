using Chat.Channels.PubSub;
using Microsoft.Extensions.Options;

namespace Chat.Channels;

/// <summary>
/// Broadcasts from outside any channel, such as an HTTP handler or a background job
/// (Phoenix's <c>Endpoint.broadcast</c>). Inject it where needed.
/// </summary>
public sealed class Broadcaster(IPubSub pubSub, IOptions<ChannelsOptions> options)
{
    private static readonly Payload Disconnect = Payload.Empty;

    /// <summary>Sends an event to every client on a topic, on every node.</summary>
    public ValueTask BroadcastAsync(string topic, string @event, object? payload, CancellationToken cancellationToken = default)
    {
        Internal.ChannelsMetrics.Published.Add(1);
        return pubSub.BroadcastAsync(new Broadcast(topic, @event, Payload.From(payload, options.Value.JsonSerializerOptions)), cancellationToken);
    }

    /// <summary>
    /// Sends an event that has a place in the topic's order (a room's new message), so that
    /// every client on every node sees such events in that order, whichever node sent them.
    /// </summary>
    public ValueTask BroadcastAsync(string topic, string @event, object? payload, BroadcastSequence sequence, CancellationToken cancellationToken = default) =>
        pubSub.BroadcastAsync(new Broadcast(topic, @event, Payload.From(payload, options.Value.JsonSerializerOptions)) { Sequence = sequence }, cancellationToken);

    /// <summary>
    /// Opens a <see cref="SendBatch"/>: frames sent from this flow until it is disposed reach
    /// each socket in one write. Wrap the replies and broadcasts of one unit of work in it, such
    /// as everything one database commit makes known.
    /// </summary>
    public SendBatch BeginBatch() => SendBatch.Begin();

    /// <summary>
    /// Closes every socket whose id is <paramref name="socketId"/>, on every node, with close
    /// code 1001: signs a user out everywhere.
    /// </summary>
    public ValueTask DisconnectAsync(string socketId, CancellationToken cancellationToken = default)
    {
        Internal.ChannelsMetrics.Published.Add(1);
        return pubSub.BroadcastAsync(new Broadcast(socketId, "disconnect", Disconnect), cancellationToken);
    }
}
