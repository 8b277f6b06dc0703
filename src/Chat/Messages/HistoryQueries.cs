using Chat.Reactions;
using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Messages;

/// <summary>
/// The two history reads, compiled once. Every page is a range of the room's timeline index (room_id, id, …)
/// between two ids, read downwards (the newest before an id) or upwards (catching up after
/// one); a missing bound is the widest id. Compiled queries skip EF Core's per-call query
/// cache lookup and allocate about a third less, which is what a read's tail is made of.
/// A compiled query binds to the first model it runs against, so each context service
/// (one per database) holds its own.
/// </summary>
internal sealed class HistoryQueries
{
    public const long NoUpperBound = long.MaxValue;
    public const long NoLowerBound = 0;

    /// <summary>The stored message as clients see it: no rev yet means its rev is its id.</summary>
    private static readonly System.Linq.Expressions.Expression<Func<Message, MessageView>> ToView = m =>
        new MessageView(m.Id, m.RoomId, m.UserId, m.Username, m.Content, m.InsertedAt, m.EditedAt, m.DeletedAt != null, MessageReactions.FromJson(m.Reactions), m.Rev ?? m.Id);

    /// <summary>
    /// Messages with <c>id &lt;= lastSeen</c> changed after <c>lastRev</c>, oldest change first:
    /// a range of the partial <c>(room_id, rev)</c> index, which holds changed messages only.
    /// </summary>
    public Func<ChatDbContext, long, long, long, int, IAsyncEnumerable<MessageView>> ChangedSince { get; } =
        EF.CompileAsyncQuery((ChatDbContext db, long roomId, long lastSeen, long lastRev, int take) =>
            db.Messages.AsNoTracking()
                .Where(m => m.RoomId == roomId && m.Rev != null && m.Rev > lastRev && m.Id <= lastSeen)
                .OrderBy(m => m.Rev)
                .Take(take)
                .Select(ToView));

    /// <summary>The newest <c>take</c> messages with <c>after &lt; id &lt; before</c>, newest first.</summary>
    public Func<ChatDbContext, long, long, long, int, IAsyncEnumerable<MessageView>> NewestFirst { get; } =
        EF.CompileAsyncQuery((ChatDbContext db, long roomId, long before, long after, int take) =>
            db.Messages.AsNoTracking()
                .Where(m => m.RoomId == roomId && m.Id < before && m.Id > after)
                .OrderByDescending(m => m.Id)
                .Take(take)
                .Select(ToView));

    /// <summary>The oldest <c>take</c> messages with <c>after &lt; id &lt; before</c>, oldest first.</summary>
    public Func<ChatDbContext, long, long, long, int, IAsyncEnumerable<MessageView>> OldestFirst { get; } =
        EF.CompileAsyncQuery((ChatDbContext db, long roomId, long before, long after, int take) =>
            db.Messages.AsNoTracking()
                .Where(m => m.RoomId == roomId && m.Id < before && m.Id > after)
                .OrderBy(m => m.Id)
                .Take(take)
                .Select(ToView));
}
