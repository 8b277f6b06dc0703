using Chat.Messages;
using Chat.Rooms;

namespace Chat.Server.Contract;

// A room archive (export-room, import-room) is JSON lines: first {"room": ROOM}, then one
// {"message": MESSAGE} per message, oldest first, in the contract's shapes. What import reads
// back is only what it needs: the room's name and description, each message's author, text
// and time; ids are new in the install that imports it.

/// <summary>One line of an archive as written.</summary>
public sealed record ArchiveRoomLine(RoomView Room);

/// <summary>One message line of an archive as written.</summary>
public sealed record ArchiveMessageLine(MessageView Message);

/// <summary>Any line of an archive as read; every field optional, since the file is input.</summary>
public sealed record ArchiveLine(ArchivedRoomFields? Room, ArchivedMessageFields? Message);

public sealed record ArchivedRoomFields(string? Name, string? Description);

public sealed record ArchivedMessageFields(long? UserId, string? Username, string? Content, DateTime? InsertedAt);
