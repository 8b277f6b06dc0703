using Chat.Channels;
using Chat.Channels.Presence;
using Chat.Messages;
using Chat.Reactions;
using Chat.ReadMarkers;
using Chat.Rooms;
using Chat.Server.Limits;
using Microsoft.Extensions.Options;

namespace Chat.Server.Channels;

/// <summary>
/// What every <see cref="RoomChannel"/> works with, in one singleton: each joined room channel,
/// which lives as long as its member stays, keeps one reference to this instead of eight
/// (64 of the 96 bytes that an idle member's channel kept).
/// </summary>
public sealed class RoomChannelServices(
    RoomService rooms, MessageService messages, ReactionService reactions, ReadMarkerService markers,
    RateLimits limits, IPresence presence, IOptions<ChannelsOptions> channels, TimeProvider clock)
{
    public RoomService Rooms { get; } = rooms;

    public MessageService Messages { get; } = messages;

    public ReactionService Reactions { get; } = reactions;

    public ReadMarkerService Markers { get; } = markers;

    public RateLimits Limits { get; } = limits;

    public IPresence Presence { get; } = presence;

    public ChannelsOptions Channels { get; } = channels.Value;

    public TimeProvider Clock { get; } = clock;
}
