namespace Chat.Mentions;

/// <summary>
/// A message that names a user with <c>@username</c>, stored when the message is, so that
/// counting a user's mentions reads this table instead of scanning content.
/// </summary>
public sealed class Mention
{
    public long MessageId { get; set; }

    /// <summary>The mentioned user.</summary>
    public long UserId { get; set; }

    /// <summary>The message's room, so that a user's mentions are counted per room from one index.</summary>
    public long RoomId { get; set; }
}
