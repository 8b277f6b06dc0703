using Chat.Messages;
using Chat.ReadMarkers;
using Chat.Rooms;

namespace Chat;

/// <summary>
/// Told after each committed write, in commit order. The host turns these into replies and
/// broadcasts, so that a message posted over HTTP reaches sockets like any other.
/// </summary>
public interface IChatEvents
{
    ValueTask RoomCreatedAsync(RoomView room);

    /// <summary>
    /// One committed run of messages, in id order. Each carries the users it mentions
    /// (<see cref="StoredMessage.Mentioned"/>). Called by the message publisher, never
    /// by the writer: while a batch is being announced the next one is already committing.
    /// Runs arrive one at a time and in commit order, so broadcasts made here leave in id
    /// order, which is what lets a client catch up with <c>last_seen_id</c> without a gap.
    /// </summary>
    ValueTask MessagesStoredAsync(IReadOnlyList<StoredMessage> messages);

    /// <summary>
    /// A committed change to a message (edit, delete, reactions), in the same order as
    /// <see cref="MessagesStoredAsync"/>: always after the message itself was announced, and
    /// in revision order. Only changes that changed something are announced.
    /// </summary>
    ValueTask MessageChangedAsync(MessageChange change);

    /// <summary>A user's read marker in a room moved forwards; <paramref name="unread"/> is the room's state for them now.</summary>
    ValueTask ReadMarkerMovedAsync(long userId, UnreadView unread);
}
