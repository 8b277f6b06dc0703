using System.Globalization;

namespace Chat.Server.Contract;

/// <summary>The chat's topics (CONTRACT.md §3–§5): the one place their names are spelled.</summary>
public static class Topics
{
    public const string Lobby = "chat:lobby";
    public const string RoomPattern = RoomPrefix + "*";
    public const string UserPattern = UserPrefix + "*";

    /// <summary>
    /// Between the nodes only: a user signed out everywhere. No route matches it, so no client
    /// can join it or publish to it.
    /// </summary>
    public const string TokenRevocations = "internal:token_revocations";

    private const string RoomPrefix = "room:";
    private const string UserPrefix = "user:";

    /// <summary><c>room:{slug}</c>: a room's members.</summary>
    public static string Room(string slug) => RoomPrefix + slug;

    /// <summary><c>user:{id}</c>: every device of one user.</summary>
    public static string User(long userId) => UserPrefix + userId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The slug a <c>room:{slug}</c> topic names.</summary>
    public static string RoomSlug(string topic) => topic[RoomPrefix.Length..];

    /// <summary>The user id a <c>user:{id}</c> topic names, or null when it names none.</summary>
    public static long? UserId(string topic) =>
        long.TryParse(topic.AsSpan(UserPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}
