namespace Chat.Rooms;

/// <summary>A chat room (the seed's <c>room.ex</c> schema).</summary>
public sealed class Room
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>Made from the name by the server, unique; names the room in URLs and topics.</summary>
    public required string Slug { get; set; }

    public DateTime InsertedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
