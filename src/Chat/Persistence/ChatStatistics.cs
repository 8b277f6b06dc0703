using Microsoft.EntityFrameworkCore;

namespace Chat.Persistence;

/// <summary>What the database holds, in numbers: for the admin <c>stats</c> command.</summary>
public sealed class ChatStatistics
{
    private readonly IDbContextFactory<ChatDbContext> _contexts;

    internal ChatStatistics(IDbContextFactory<ChatDbContext> contexts) => _contexts = contexts;

    public async Task<ChatCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var users = await db.Users.LongCountAsync(cancellationToken).ConfigureAwait(false);
        var rooms = await db.Rooms.LongCountAsync(cancellationToken).ConfigureAwait(false);
        var messages = await db.Messages.LongCountAsync(cancellationToken).ConfigureAwait(false);
        var newest = await db.Messages.OrderByDescending(m => m.Id).Select(m => (DateTime?)m.InsertedAt).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return new ChatCounts(users, rooms, messages, newest);
    }
}

/// <summary>Accounts, rooms and messages stored, and when the newest message was sent.</summary>
public sealed record ChatCounts(long Users, long Rooms, long Messages, DateTime? NewestMessageAt);
