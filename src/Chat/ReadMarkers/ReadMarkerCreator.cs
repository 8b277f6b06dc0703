using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.ReadMarkers;

/// <summary>
/// Group commit for new read markers: every user's first join of a room creates one
/// (<see cref="ReadMarkerService.FollowAsync"/>), and when thousands join at once, the markers
/// that queued up while one statement committed all go into the next, so a room filling with
/// 10,000 users costs some hundreds of commits, not 10,000.
/// </summary>
/// <remarks>
/// <para>A commit is an fsync, and on SQLite it also takes the database's one write lock: one
/// insert per join made joins wait for each other's fsync, one at a time, and capped a room's
/// fill on SQLite at about 500 joins a second (PostgreSQL commits concurrent inserts together
/// on its own, so there it mattered less). A lone joiner still commits at once.
/// Markers are never rewritten here: an existing one stays where it is (ON CONFLICT DO
/// NOTHING), and RETURNING says which were created, so only those are announced.</para>
/// <para>The inserts run on a thread of their own, synchronously. SQLite's driver blocks in
/// every call, async or not, so on the thread pool each fsync held a pool thread: on a server
/// with one core, the only one, and every join and delivery waited for it.</para>
/// </remarks>
internal sealed class ReadMarkerCreator : IDisposable
{
    /// <summary>Four parameters a marker: well under SQLite's 32,766 and PostgreSQL's 65,535.</summary>
    internal const int MaxBatchSize = 1000;

    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly BlockingCollection<NewMarker> _queue = [];
    private readonly Thread _thread;

    public ReadMarkerCreator(IDbContextFactory<ChatDbContext> contexts)
    {
        _contexts = contexts;
        _thread = new Thread(Run) { IsBackground = true, Name = "Chat read markers" };
        _thread.Start();
    }

    /// <summary>
    /// Creates the marker unless the user already has one in the room; true when this call
    /// created it. Throws what the database threw for the batch it was in.
    /// </summary>
    public Task<bool> CreateAsync(long userId, long roomId, long lastReadId, DateTime now, CancellationToken cancellationToken = default)
    {
        var marker = new NewMarker(userId, roomId, lastReadId, now);
        // Throws once disposed.
        _queue.Add(marker, CancellationToken.None);

        // A caller that stops waiting does not unqueue its marker: it is created all the same.
        return marker.Created.Task.WaitAsync(cancellationToken);
    }

    private void Run()
    {
        var batch = new List<NewMarker>(MaxBatchSize);
        while (_queue.TryTake(out var first, Timeout.Infinite))
        {
            batch.Add(first);
            while (batch.Count < MaxBatchSize && _queue.TryTake(out var marker))
            {
                batch.Add(marker);
            }

            try
            {
                var created = Insert(batch);
                foreach (var marker in batch)
                {
                    // The first of two joins of one user to one room in a batch created it.
                    marker.Created.TrySetResult(created.Remove((marker.UserId, marker.RoomId)));
                }
            }
            catch (Exception ex)
            {
                foreach (var marker in batch)
                {
                    marker.Created.TrySetException(ex);
                }
            }

            batch.Clear();
        }
    }

    /// <summary>One statement, so one commit, for the whole batch; returns the (user, room) pairs it created.</summary>
    private HashSet<(long UserId, long RoomId)> Insert(List<NewMarker> batch)
    {
        using var db = _contexts.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        db.Database.OpenConnection();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("INSERT INTO read_markers (user_id, room_id, last_read_id, updated_at) VALUES ");
        for (var i = 0; i < batch.Count; i++)
        {
            var marker = batch[i];
            sql.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ", ")}(@u{i}, @r{i}, @l{i}, @t{i})");
            command.AddParameter($"@u{i}", marker.UserId);
            command.AddParameter($"@r{i}", marker.RoomId);
            command.AddParameter($"@l{i}", marker.LastReadId);
            command.AddParameter($"@t{i}", marker.Now);
        }

        sql.Append(" ON CONFLICT (user_id, room_id) DO NOTHING RETURNING user_id, room_id");
        command.CommandText = sql.ToString();
        var created = new HashSet<(long, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            created.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        return created;
    }


    /// <summary>Creates what is queued, then stops.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private sealed record NewMarker(long UserId, long RoomId, long LastReadId, DateTime Now)
    {
        public TaskCompletionSource<bool> Created { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
