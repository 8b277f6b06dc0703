using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Mentions;

/// <summary>
/// Turns the names a message mentions into user ids, before the message is queued: one
/// indexed lookup, and only for content that holds an <c>@</c>, so the writer never waits for it.
/// </summary>
internal sealed class MentionResolver(IDbContextFactory<ChatDbContext> contexts)
{
    /// <summary>
    /// The ids of the existing users <paramref name="content"/> mentions, other than
    /// <paramref name="authorId"/>; null when the database did not answer within
    /// <paramref name="timeout"/> (the send's own deadline: the lookup is part of the send).
    /// </summary>
    public async Task<long[]?> ResolveAsync(string content, long authorId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var names = MentionRules.Names(content);
        if (names.Count == 0)
        {
            return [];
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(deadline.Token).ConfigureAwait(false);
            return await db.Users.AsNoTracking()
                .Where(u => names.Contains(u.NormalizedUsername) && u.Id != authorId)
                .Select(u => u.Id)
                .OrderBy(id => id)
                .ToArrayAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or System.Data.Common.DbException or TimeoutException)
        {
            return null;
        }
    }
}
