using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Chat.Validation;
using Microsoft.EntityFrameworkCore;

namespace Chat.ReadMarkers;

/// <summary>
/// Read markers and unread counts, kept on the server per user and room (CONTRACT.md §5), so
/// every device of a user shows the same badges. A marker only moves forwards; each move is
/// announced to <see cref="IChatEvents.ReadMarkerMovedAsync"/>.
/// </summary>
/// <remarks>
/// Counting never scans a room's history: unread messages are one range of the room's
/// timeline index <c>ix_messages_room_timeline (room_id, id, user_id, deleted_at)</c>, from the
/// marker on, read without touching the table (tombstones are told by the index entry); mentions are one range of
/// <c>ix_mentions_user_id_room_id_message_id</c>. The cost grows with what is unread, not
/// with the room. A room the user never marked read but was mentioned in counts from its
/// first mention: its <c>last_read_id</c> is that message's id minus one.
/// </remarks>
public sealed class ReadMarkerService
{
    // One statement for both providers: standard SQL, and the same index plans on each.
    private const string UnreadSql = """
        SELECT k.room_id, r.slug, k.last_read_id,
            (SELECT COUNT(*) FROM messages m
             WHERE m.room_id = k.room_id AND m.id > k.last_read_id AND m.deleted_at IS NULL AND m.user_id <> @user_id),
            (SELECT COUNT(*) FROM mentions n JOIN messages m ON m.id = n.message_id
             WHERE n.user_id = @user_id AND n.room_id = k.room_id AND n.message_id > k.last_read_id AND m.deleted_at IS NULL)
        FROM (
            SELECT room_id, last_read_id FROM read_markers WHERE user_id = @user_id
            UNION ALL
            SELECT n.room_id, MIN(n.message_id) - 1 FROM mentions n
            WHERE n.user_id = @user_id
              AND NOT EXISTS (SELECT 1 FROM read_markers o WHERE o.user_id = @user_id AND o.room_id = n.room_id)
            GROUP BY n.room_id
        ) AS k
        JOIN rooms r ON r.id = k.room_id
        WHERE @room_id = 0 OR k.room_id = @room_id
        ORDER BY k.room_id
        """;

    // Whether the user has a marker in the room, and where a new one would start: after the
    // room's newest message, or before the first that mentions the user.
    private const string FollowSql = """
        SELECT (SELECT COUNT(*) FROM read_markers WHERE user_id = @user_id AND room_id = @room_id),
            (SELECT MAX(id) FROM messages WHERE room_id = @room_id),
            (SELECT MIN(message_id) FROM mentions WHERE user_id = @user_id AND room_id = @room_id)
        """;

    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly IChatEvents[] _events;
    private readonly TimeProvider _clock;
    private readonly ReadMarkerCreator _creator;

    internal ReadMarkerService(IDbContextFactory<ChatDbContext> contexts, ReadMarkerCreator creator, IEnumerable<IChatEvents> events, TimeProvider clock)
    {
        _contexts = contexts;
        _creator = creator;
        _events = [.. events];
        _clock = clock;
    }

    /// <summary>
    /// Moves the user's marker in <paramref name="room"/> to <paramref name="messageId"/>, a
    /// message of that room, unless it already is there or further. Returns the room's
    /// unread state as it is afterwards; a move is announced.
    /// </summary>
    public async Task<ChatResult<UnreadView>> MarkReadAsync(RoomView room, ChatUser user, long? messageId, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var id = MessageRules.Id(errors, messageId);
        if (!errors.IsEmpty)
        {
            return ChatResult<UnreadView>.Invalid(errors);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Messages.AnyAsync(m => m.Id == id && m.RoomId == room.Id, cancellationToken).ConfigureAwait(false))
        {
            return ChatResult<UnreadView>.Invalid(FieldErrors.Of("id", ErrorMessages.DoesNotExist));
        }

        // Forwards only: the update happens only when the new id is higher, and the count of
        // changed rows says whether the marker was created or moved.
        var now = Clock.Now(_clock);
        var moved = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO read_markers (user_id, room_id, last_read_id, updated_at) VALUES ({user.Id}, {room.Id}, {id}, {now})
            ON CONFLICT (user_id, room_id) DO UPDATE SET last_read_id = excluded.last_read_id, updated_at = excluded.updated_at
            WHERE read_markers.last_read_id < excluded.last_read_id
            """, cancellationToken).ConfigureAwait(false) > 0;
        var unread = (await ReadAsync(db, user.Id, room.Id, cancellationToken).ConfigureAwait(false)).Single();
        if (moved)
        {
            foreach (var handler in _events)
            {
                await handler.ReadMarkerMovedAsync(user.Id, unread).ConfigureAwait(false);
            }
        }

        return ChatResult<UnreadView>.Ok(unread);
    }

    /// <summary>
    /// The user opened <paramref name="room"/>: if they have no marker there yet, it starts at
    /// the room's newest message (what they see is read; what follows is unread), or just
    /// before the first message that mentions them, so that mention stays unread. A new marker
    /// is announced like any move, so the user's other devices start counting the room too.
    /// A room with no messages starts at 0.
    /// </summary>
    /// <remarks>
    /// One read tells whether a marker exists and where a new one starts; a user who has
    /// opened the room before costs nothing more. New markers are created in batches
    /// (<see cref="ReadMarkerCreator"/>), so a crowd joining at once shares its commits.
    /// </remarks>
    public async Task FollowAsync(RoomView room, ChatUser user, CancellationToken cancellationToken = default)
    {
        // The connection goes back to the pool before the wait for the batch: a crowd of
        // joiners waiting for one commit must not hold the connections that commit needs.
        if (await NewMarkerStartAsync(room, user, cancellationToken).ConfigureAwait(false) is not { } start
            || !await _creator.CreateAsync(user.Id, room.Id, start, Clock.Now(_clock), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var unread = (await ReadAsync(db, user.Id, room.Id, cancellationToken).ConfigureAwait(false)).Single();
        foreach (var handler in _events)
        {
            await handler.ReadMarkerMovedAsync(user.Id, unread).ConfigureAwait(false);
        }
    }

    /// <summary>Where the user's marker in the room would start; null when they have one.</summary>
    private async Task<long?> NewMarkerStartAsync(RoomView room, ChatUser user, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = FollowSql;
        command.AddParameter("@user_id", user.Id);
        command.AddParameter("@room_id", room.Id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reader.GetInt64(0) > 0)
        {
            return null;
        }

        var newest = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        return reader.IsDBNull(2) ? newest : Math.Min(newest, reader.GetInt64(2) - 1);
    }

    /// <summary>The user's unread state in every room they have opened, marked read or been mentioned in, by room id.</summary>
    public async Task<IReadOnlyList<UnreadView>> ListUnreadAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(db, userId, 0, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<UnreadView>> ReadAsync(ChatDbContext db, long userId, long roomId, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = UnreadSql;
        command.AddParameter("@user_id", userId);
        command.AddParameter("@room_id", roomId);
        var rooms = new List<UnreadView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rooms.Add(new UnreadView(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rooms;
    }
}
