using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Mentions;

/// <summary>
/// Turns the names a message mentions into user ids, before the message is queued: one
/// indexed lookup, and only for content that holds an <c>@</c>, so the writer never waits for it.
/// </summary>
internal sealed class MentionResolver(IDbContextFactory<ChatDbContext> contexts)
{
    /// <summary>The ids of the existing users <paramref name="content"/> mentions, other than <paramref name="authorId"/>.</summary>
    public async Task<long[]> ResolveAsync(string content, long authorId, CancellationToken cancellationToken)
    {
        var names = MentionRules.Names(content);
        if (names.Count == 0)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Users.AsNoTracking()
            .Where(u => names.Contains(u.NormalizedUsername) && u.Id != authorId)
            .Select(u => u.Id)
            .OrderBy(id => id)
            .ToArrayAsync(cancellationToken).ConfigureAwait(false);
    }
}
