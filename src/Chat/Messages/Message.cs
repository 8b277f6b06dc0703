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

    /// <summary>When the author last changed the content; null until then.</summary>
    public DateTime? EditedAt { get; set; }

    /// <summary>When the author deleted it; the row stays as a tombstone with empty content.</summary>
    public DateTime? DeletedAt { get; set; }

    /// <summary>The reactions as their wire JSON (<see cref="Chat.Reactions.MessageReactions"/>); null when there are none.</summary>
    public string? Reactions { get; set; }

    /// <summary>
    /// The revision of the latest change; null while there has been none, and the message's
    /// revision is then its id. Changes take their revisions from the same sequence as ids
    /// (see <see cref="Revisions"/>), so one number orders creations and changes alike.
    /// </summary>
    public long? Rev { get; set; }
}
