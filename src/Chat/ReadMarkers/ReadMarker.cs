namespace Chat.ReadMarkers;

/// <summary>How far a user has read a room: every message up to <see cref="LastReadId"/>. It only moves forwards.</summary>
public sealed class ReadMarker
{
    public long UserId { get; set; }

    public long RoomId { get; set; }

    public long LastReadId { get; set; }

    public DateTime UpdatedAt { get; set; }
}
