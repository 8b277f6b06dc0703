namespace Chat.Messages;

/// <summary>
/// Where revisions come from (CONTRACT.md §4: a number increasing across the whole server,
/// given to a message when it is created and again on every change).
/// </summary>
/// <remarks>
/// <para>Revisions and message ids are one sequence. A new message's revision is its id, so
/// the writer's inserts, the hot path, store nothing more, and <c>messages.rev</c> stays null
/// until the first change. A change draws the next number of the id sequence as its
/// revision, so no later message id or revision can be lower. Catching up then needs one
/// partial index, <c>(room_id, rev) WHERE rev IS NOT NULL</c>, which only changed messages
/// enter: a rejoin reads the changes after its last_rev, never the messages sent meanwhile.</para>
/// <para>Every change goes through the group-commit writer, in the same queue and the same
/// transactions as new messages, so revisions, like ids, are assigned in commit order, and
/// the publisher announces them in that order: a <c>msg_updated</c> always leaves after its
/// message's <c>new_msg</c>. On PostgreSQL the number is <c>nextval</c> of the id's identity
/// sequence, drawn under the advisory lock that orders every node's commits, so several
/// nodes sharing one database still allocate in commit order. On SQLite it is the
/// AUTOINCREMENT counter in <c>sqlite_sequence</c>, which SQLite documents as ordinary
/// rows to update; SQLite gives the next message max(counter, largest id) + 1.</para>
/// <para>Ids so gain gaps where changes took numbers. Nothing relies on ids being dense:
/// clients page and catch up by comparing them.</para>
/// </remarks>
internal static class Revisions
{
    public const string SqliteNext = "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages'";
    public const string SqliteCurrent = "SELECT seq FROM sqlite_sequence WHERE name = 'messages'";
    public const string PostgresNext = "SELECT nextval(pg_get_serial_sequence('messages', 'id'))";
}
