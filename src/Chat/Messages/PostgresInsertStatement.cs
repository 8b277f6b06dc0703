using Npgsql;
using NpgsqlTypes;

namespace Chat.Messages;

/// <summary>
/// PostgreSQL's insert of a run of new messages, with their mentions, as one statement: the
/// messages travel as arrays (<c>unnest</c>) in Npgsql's binary format, and the statement
/// answers each message's id and the id of the message before it in its room.
/// </summary>
internal static class PostgresInsertStatement
{
    // ORDER BY ord makes the identity values follow the batch's order. The search column holds
    // the message's words as they are (SearchText): array_to_tsvector applies no parser and
    // no dictionary, so the index matches exactly what the same words find on SQLite.
    private const string InsertMessages = """
        inserted AS (
            INSERT INTO messages (content, user_id, username, room_id, client_id, inserted_at, updated_at, search)
            SELECT t.content, t.user_id, t.username, t.room_id, t.client_id, @now, @now, array_to_tsvector(string_to_array(t.document, ' '))
            FROM unnest(@contents, @user_ids, @usernames, @room_ids, @client_ids, @documents)
                 WITH ORDINALITY AS t(content, user_id, username, room_id, client_id, document, ord)
            ORDER BY t.ord
            RETURNING id, room_id)
        """;

    // A mention names its message by the message's place in the run (1-based): the ids are
    // given out in that order, so the nth id is the nth message's. Mentions ride in the same
    // statement (a second data-modifying CTE, which runs whether or not anything reads it),
    // so a batch with mentions costs no extra round trip.
    private const string InsertMentions = """
        mentioned AS (
            INSERT INTO mentions (message_id, user_id, room_id)
            SELECT n.id, m.user_id, n.room_id
            FROM unnest(@mention_places, @mention_user_ids) AS m(place, user_id)
            JOIN (SELECT id, room_id, row_number() OVER (ORDER BY id) AS place FROM inserted) AS n ON n.place = m.place)
        """;

    // Each row also gets the id of the message before it in its room: the one before it in
    // this statement, else the room's newest before the statement (which the outer query
    // sees, not the CTE's rows). The advisory lock makes that exact: no other commit can
    // come between, so a room's broadcasts can be put in one order across nodes.
    private const string AnswerIds = """
        SELECT i.id, coalesce(
            lag(i.id) OVER (PARTITION BY i.room_id ORDER BY i.id),
            (SELECT max(o.id) FROM messages o WHERE o.room_id = i.room_id),
            0)
        FROM inserted i
        ORDER BY i.id
        """;

    private const string WithoutMentions = $"WITH {InsertMessages}\n{AnswerIds}";
    private const string WithMentions = $"WITH {InsertMessages},\n{InsertMentions}\n{AnswerIds}";

    /// <summary>The statement for <paramref name="run"/>, which must not be empty; its rows come back in the run's order.</summary>
    public static NpgsqlBatchCommand Create(IReadOnlyList<PendingMessage> run, DateTime now)
    {
        var mentionPlaces = new List<long>();
        var mentionUserIds = new List<long>();
        for (var i = 0; i < run.Count; i++)
        {
            foreach (var userId in run[i].Mentions)
            {
                mentionPlaces.Add(i + 1);
                mentionUserIds.Add(userId);
            }
        }

        var command = new NpgsqlBatchCommand(mentionPlaces.Count == 0 ? WithoutMentions : WithMentions)
        {
            Parameters =
            {
                new("contents", run.Select(m => m.Content).ToArray()),
                new("user_ids", run.Select(m => m.Author.Id).ToArray()),
                new("usernames", run.Select(m => m.Author.Username).ToArray()),
                new("room_ids", run.Select(m => m.RoomId).ToArray()),
                new("client_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = run.Select(m => m.ClientId).ToArray() },
                new("documents", run.Select(m => m.SearchDocument).ToArray()),
                new("now", NpgsqlDbType.TimestampTz) { Value = now },
            },
        };
        if (mentionPlaces.Count > 0)
        {
            command.Parameters.Add(new("mention_places", mentionPlaces.ToArray()));
            command.Parameters.Add(new("mention_user_ids", mentionUserIds.ToArray()));
        }

        return command;
    }
}
