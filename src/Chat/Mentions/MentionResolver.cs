using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Mentions;

/// <summary>
/// Turns the names messages mention (<see cref="MentionRules"/>) into user ids, before the
/// messages are stored: one indexed lookup, and only for content that holds an <c>@</c>, so
/// the writer never waits for it.
/// </summary>
internal sealed class MentionResolver(IDbContextFactory<ChatDbContext> contexts)
{
    private static readonly Task<long[]?> NoMentions = Task.FromResult<long[]?>([]);

    /// <summary>
    /// The ids of the existing users <paramref name="content"/> mentions, other than
    /// <paramref name="authorId"/>; null when the database did not answer within
    /// <paramref name="timeout"/> (the send's own deadline: the lookup is part of the send).
    /// </summary>
    public Task<long[]?> ResolveAsync(string content, long authorId, TimeSpan timeout, CancellationToken cancellationToken) =>
        // Most messages mention nobody: they cost neither a timer nor a lookup, nor a task.
        MentionRules.Names(content).Count == 0 ? NoMentions : LookUpAsync(content, authorId, timeout, cancellationToken);

    private async Task<long[]?> LookUpAsync(string content, long authorId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return (await ResolveAsync([(content, authorId)], deadline.Token).ConfigureAwait(false))[0];
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or System.Data.Common.DbException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// For each message (its content and its author), the ids of the existing users it
    /// mentions other than its author, in ascending order; one lookup for all of them.
    /// </summary>
    public async Task<long[][]> ResolveAsync(IReadOnlyList<(string Content, long AuthorId)> messages, CancellationToken cancellationToken)
    {
        var names = messages.Select(m => MentionRules.Names(m.Content)).ToArray();
        var candidates = names.SelectMany(n => n).SelectMany(n => n.Shorter is { } shorter ? new[] { n.Name, shorter } : new[] { n.Name }).Distinct().ToList();
        if (candidates.Count == 0)
        {
            return [.. messages.Select(_ => Array.Empty<long>())];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var users = await db.Users.AsNoTracking()
            .Where(u => candidates.Contains(u.NormalizedUsername))
            .Select(u => new { u.NormalizedUsername, u.Id })
            .ToDictionaryAsync(u => u.NormalizedUsername, u => u.Id, cancellationToken).ConfigureAwait(false);

        return [.. messages.Select((message, i) => names[i]
            .Select(name => users.TryGetValue(name.Name, out var id) ? id
                : name.Shorter is { } shorter && users.TryGetValue(shorter, out var shorterId) ? shorterId
                : 0)
            .Where(id => id != 0 && id != message.AuthorId)
            .Distinct()
            .Order()
            .ToArray())];
    }
}
