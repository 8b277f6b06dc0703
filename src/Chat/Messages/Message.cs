namespace Chat.Messages;

/// <summary>A stored chat message (the seed's <c>message.ex</c> schema).</summary>
public sealed class Message
{
    public long Id { get; set; }

    public required string Content { get; set; }

    /// <summary>The author's id from the token; not a foreign key, since the host may own its users.</summary>
    public long UserId { get; set; }

    /// <summary>The author's name when the message was sent.</summary>
    public required string Username { get; set; }

    public long RoomId { get; set; }

    /// <summary>The sender's idempotency key: unique per room and user when present.</summary>
    public string? ClientId { get; set; }

    public DateTime InsertedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
