namespace Chat.Rooms;

/// <summary>A room as clients see it (CONTRACT.md ROOM).</summary>
public sealed record RoomView(long Id, string Name, string Slug, string? Description, DateTime InsertedAt, DateTime UpdatedAt)
{
    internal static readonly System.Linq.Expressions.Expression<Func<Room, RoomView>> FromEntity =
        r => new RoomView(r.Id, r.Name, r.Slug, r.Description, r.InsertedAt, r.UpdatedAt);

    internal static RoomView Of(Room room) => new(room.Id, room.Name, room.Slug, room.Description, room.InsertedAt, room.UpdatedAt);
}
