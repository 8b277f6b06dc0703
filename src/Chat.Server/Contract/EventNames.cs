namespace Chat.Server.Contract;

/// <summary>The chat's event names (CONTRACT.md §3–§5), from clients and to them.</summary>
public static class EventNames
{
    // From clients, on room:{slug}.
    public const string NewMessage = "new_msg";
    public const string History = "history";
    public const string Typing = "typing";

    // From clients, on chat:lobby.
    public const string CreateRoom = "create_room";

    // To clients.
    public const string RoomCreated = "room_created";
    public const string PresenceState = "presence_state";
}
