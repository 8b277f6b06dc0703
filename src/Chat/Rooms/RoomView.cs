namespace Chat.Rooms;

/// <summary>A room as clients see it (CONTRACT.md ROOM).</summary>
public sealed record RoomView(long Id, string Name, string Slug, string? Description, DateTime InsertedAt, DateTime UpdatedAt)
{
    internal static readonly System.Linq.Expressions.Expression<Func<Room, RoomView>> FromEntity =
        r => new RoomView(r.Id, r.Name, r.Slug, r.Description, r.InsertedAt, r.UpdatedAt);

    internal static RoomView Of(Room room) => new(room.Id, room.Name, room.Slug, room.Description, room.InsertedAt, room.UpdatedAt);
}

/// <summary>Which page of the room list to read, as a client asks for it.</summary>
/// <param name="After">The slug of the last room of the page before; the page starts right after that room.</param>
/// <param name="Limit">At most this many rooms: 1–200, 100 when not given.</param>
public sealed record RoomListRequest(string? After = null, int? Limit = null);

/// <summary>A page of the room list, by name without regard to case, then by id; and whether more rooms follow.</summary>
public sealed record RoomPage(IReadOnlyList<RoomView> Rooms, bool HasMore);
