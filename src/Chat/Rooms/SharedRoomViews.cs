using System.Collections.Concurrent;

namespace Chat.Rooms;

/// <summary>
/// Hands out one <see cref="RoomView"/> instance per room for as long as the room is unchanged.
/// Every member's channel keeps the view of its room for as long as it is joined: a room of a
/// thousand members held a thousand equal copies (about 170 bytes each, more with a
/// description) where one does. Views are immutable records, so an equal one can stand in
/// for a fresh one.
/// </summary>
/// <remarks>
/// One entry per room this process has looked up, replaced when a lookup finds the room
/// changed and dropped when the room is deleted here; a room deleted by another process
/// leaves its entry until this one restarts.
/// </remarks>
internal sealed class SharedRoomViews
{
    private readonly ConcurrentDictionary<long, RoomView> _views = new();

    /// <summary>The shared view equal to <paramref name="found"/>, or <paramref name="found"/>, which is shared from now on.</summary>
    public RoomView Share(RoomView found) =>
        _views.AddOrUpdate(found.Id, static (_, found) => found, static (_, shared, found) => shared == found ? shared : found, found);

    public void Forget(long roomId) => _views.TryRemove(roomId, out _);
}
