namespace Chat;

/// <summary>
/// Told after each committed write, in commit order. The host turns these into broadcasts,
/// so that a message posted over HTTP reaches sockets like any other.
/// </summary>
public interface IChatEvents
{
    ValueTask RoomCreatedAsync(RoomView room);

    ValueTask MessageCreatedAsync(MessageView message, string roomSlug);
}
