namespace Chat.ReadMarkers;

/// <summary>
/// A user's unread state in one room (CONTRACT.md §5 UNREAD): the messages by other users
/// after <paramref name="LastReadId"/> (tombstones excluded), and how many of them mention the user.
/// </summary>
public sealed record UnreadView(long RoomId, string Slug, long LastReadId, long Unread, long Mentions);
