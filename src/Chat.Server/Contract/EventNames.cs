namespace Chat.Server.Contract;

/// <summary>The chat's event names (CONTRACT.md §3–§5), from clients and to them.</summary>
public static class EventNames
{
    // From clients, on room:{slug}.
    public const string NewMessage = "new_msg";
    public const string History = "history";
    public const string Typing = "typing";
    public const string EditMessage = "edit_msg";
    public const string DeleteMessage = "delete_msg";
    public const string React = "react";
    public const string Unreact = "unreact";
    public const string MarkRead = "mark_read";

    // From clients, on chat:lobby.
    public const string CreateRoom = "create_room";
    public const string ListRooms = "list_rooms";

    // To clients.
    public const string RoomCreated = "room_created";
    public const string MessageUpdated = "msg_updated";
    public const string MessageDeleted = "msg_deleted";
    public const string Reactions = "reactions";
    public const string Mention = "mention";
    public const string Read = "read";
    public const string PresenceState = "presence_state";

    /// <summary>How many users a room holds, while it holds more than its presence lists.</summary>
    public const string PresenceCount = "presence_count";
}
