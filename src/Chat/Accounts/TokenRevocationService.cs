using Chat.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Chat.Accounts;

/// <summary>
/// Keeps the <see cref="TokenRevocation"/>s, durably, so that signing out everywhere outlives a
/// restart and holds on every node that shares the database. The host keeps them in memory
/// to check tokens, and reads them from here when it starts or may have missed one.
/// </summary>
public sealed class TokenRevocationService
{
    private readonly IDbContextFactory<ChatDbContext> _contexts;

    internal TokenRevocationService(IDbContextFactory<ChatDbContext> contexts) => _contexts = contexts;

    /// <summary>
    /// Revokes every token of <paramref name="userId"/> issued before <paramref name="before"/>,
    /// unless a later revocation already does. Returns the user's revocation as it now stands.
    /// </summary>
    public async Task<TokenRevocation> RevokeAsync(long userId, DateTime before, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(userId);
        before = before.ToUniversalTime();
        // Two revocations of one user at once: the second insert fails on the key and retries
        // as an update.
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var row = await db.TokenRevocations.FindAsync([userId], cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                row = new TokenRevocation { UserId = userId, RevokedBefore = before };
                db.Add(row);
            }
            else if (row.RevokedBefore < before)
            {
                row.RevokedBefore = before;
            }
            else
            {
                return row;
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return row;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
            }
        }
    }

    /// <summary>Every revocation made at or after <paramref name="since"/> (all of them when null).</summary>
    public async Task<IReadOnlyList<TokenRevocation>> ListAsync(DateTime? since = null, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var query = db.TokenRevocations.AsNoTracking();
        if (since is { } from)
        {
            var utc = from.ToUniversalTime();
            query = query.Where(r => r.RevokedBefore >= utc);
        }

        return await query.ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
