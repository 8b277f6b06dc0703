using Npgsql;

namespace Chat.Messages;

/// <summary>
/// The insert that travels with a batch's <c>COMMIT</c>, kept until its answer is read: when
/// that answer is lost and the transaction committed all the same, the ids it would have
/// carried are read back from the table, so the batch is announced like any other.
/// </summary>
/// <remarks>
/// The rows are found by their transaction (<c>xmin</c>) above the newest id committed before
/// the batch took the commit-order lock: a range of the primary key that holds this batch's
/// rows and whatever committed after it, never a scan of the table.
/// </remarks>
internal sealed class PostgresLastInsert(
    long transactionId,
    long idFloor,
    DateTime now,
    PendingMessage[] run,
    List<PendingMessage> repeats,
    Dictionary<(long, long, string), PendingMessage> firstInBatch)
{
    // The same previous id as the insert answers: the one before it in this transaction, else
    // the room's newest at or below the floor (nothing else in the room committed in between:
    // the lock was held). xmin is the 32-bit transaction id; txid_current() adds an epoch above it.
    private const string ReadBackSql = """
        SELECT m.id, coalesce(
            lag(m.id) OVER (PARTITION BY m.room_id ORDER BY m.id),
            (SELECT max(o.id) FROM messages o WHERE o.room_id = m.room_id AND o.id <= @floor),
            0)
        FROM messages m
        WHERE m.id > @floor AND m.xmin::text::bigint = @xid
        ORDER BY m.id
        """;

    /// <summary>Whether it inserts anything (a batch may hold only changes, repeats and refusals).</summary>
    public bool Inserted => run.Length > 0;

    /// <summary>After a lost answer to a COMMIT that committed: sets each message's stored result, in insert order.</summary>
    public async Task ReadBackAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (run.Length > 0)
        {
            await using var read = new NpgsqlCommand(ReadBackSql, connection)
            {
                Parameters = { new("floor", idFloor), new("xid", transactionId & uint.MaxValue) },
            };
            var ids = new List<(long Id, long PreviousId)>(run.Length);
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add((reader.GetInt64(0), reader.GetInt64(1)));
                }
            }

            if (ids.Count != run.Length)
            {
                throw new InvalidOperationException(
                    $"Transaction {transactionId} committed {ids.Count} messages where {run.Length} were sent.");
            }

            for (var i = 0; i < run.Length; i++)
            {
                run[i].Stored = new PostedMessage(run[i].ToView(ids[i].Id, now), Created: true, ids[i].PreviousId);
            }
        }

        AnswerRepeats();
    }

    /// <summary>A retry inside the batch gets the result of the first send with its client_id.</summary>
    public void AnswerRepeats()
    {
        foreach (var repeat in repeats)
        {
            repeat.Stored = firstInBatch[(repeat.RoomId, repeat.Author.Id, repeat.ClientId!)].Stored! with { Created = false };
        }
    }
}
