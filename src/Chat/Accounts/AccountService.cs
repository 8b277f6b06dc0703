using Chat.Persistence;
using Chat.Validation;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Chat.Accounts;

/// <summary>
/// Accounts that sign in with a password: registration and verification, and what an
/// operator does to them (the admin commands): a new password, or removal.
/// </summary>
public sealed class AccountService
{
    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly TimeProvider _clock;
    private readonly PasswordHasher<User> _hasher = new();
    private readonly PasswordHashing _hashing = new();
    private readonly Lazy<string> _dummyHash;

    internal AccountService(IDbContextFactory<ChatDbContext> contexts, TimeProvider clock)
    {
        _contexts = contexts;
        _clock = clock;
        _dummyHash = new Lazy<string>(() => _hasher.HashPassword(null!, "a password nobody has"));
    }

    public async Task<ChatResult<UserView>> RegisterAsync(string? username, string? password, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var cleanUsername = AccountRules.Username(errors, username);
        AccountRules.Password(errors, password);
        if (!errors.IsEmpty)
        {
            return ChatResult<UserView>.Invalid(errors);
        }

        var normalized = AccountRules.Normalize(cleanUsername!);
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Users.AnyAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false))
        {
            return ChatResult<UserView>.Invalid(FieldErrors.Of("username", ErrorMessages.Taken));
        }

        var now = Clock.Now(_clock);
        var user = new User { Username = cleanUsername!, NormalizedUsername = normalized, PasswordHash = "", InsertedAt = now, UpdatedAt = now };
        user.PasswordHash = await _hashing.RunAsync(() => _hasher.HashPassword(user, password!), cancellationToken).ConfigureAwait(false);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            return ChatResult<UserView>.Invalid(FieldErrors.Of("username", ErrorMessages.Taken));
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsValueTooLong(ex))
        {
            return ChatResult<UserView>.Invalid(await DatabaseErrors.TooLongFieldsAsync(db, ex, cancellationToken).ConfigureAwait(false));
        }

        return ChatResult<UserView>.Ok(new UserView(user.Id, user.Username));
    }

    /// <summary>The account for a username and password, or null. Takes as long when the user does not exist.</summary>
    public async Task<UserView?> VerifyPasswordAsync(string? username, string? password, CancellationToken cancellationToken = default)
    {
        if (!AccountRules.CouldSignIn(username, password))
        {
            return null;
        }

        var normalized = AccountRules.Normalize(username!.Trim());
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            // Hash anyway, so the answer's timing does not reveal which usernames exist.
            await _hashing.RunAsync(() => _hasher.VerifyHashedPassword(null!, _dummyHash.Value, password!), cancellationToken).ConfigureAwait(false);
            return null;
        }

        var verdict = await _hashing.RunAsync(() => _hasher.VerifyHashedPassword(user, user.PasswordHash, password!), cancellationToken).ConfigureAwait(false);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = await _hashing.RunAsync(() => _hasher.HashPassword(user, password!), cancellationToken).ConfigureAwait(false);
            user.UpdatedAt = Clock.Now(_clock);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        return new UserView(user.Id, user.Username);
    }

    /// <summary>The account with this username (without regard to case), or null.</summary>
    public async Task<UserView?> FindAsync(string username, CancellationToken cancellationToken = default)
    {
        var normalized = AccountRules.Normalize(username.Trim());
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Users.AsNoTracking().Where(u => u.NormalizedUsername == normalized)
            .Select(u => new UserView(u.Id, u.Username)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a new password, under the same rules as at registration.</summary>
    public async Task<ChatResult<UserView>> ResetPasswordAsync(string username, string? password, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        AccountRules.Password(errors, password);
        if (!errors.IsEmpty)
        {
            return ChatResult<UserView>.Invalid(errors);
        }

        var normalized = AccountRules.Normalize(username.Trim());
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return ChatResult<UserView>.Refused(ChatRefusal.NotFound);
        }

        user.PasswordHash = await _hashing.RunAsync(() => _hasher.HashPassword(user, password!), cancellationToken).ConfigureAwait(false);
        user.UpdatedAt = Clock.Now(_clock);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ChatResult<UserView>.Ok(new UserView(user.Id, user.Username));
    }

    /// <summary>
    /// Removes an account, so it can no longer sign in and its name is free again. Its messages
    /// stay, under the name they were sent with. Tokens are not stored: the host revokes those
    /// already issued (the <c>users delete</c> command does).
    /// </summary>
    public async Task<ChatResult<UserView>> DeleteAsync(string username, CancellationToken cancellationToken = default)
    {
        var normalized = AccountRules.Normalize(username.Trim());
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return ChatResult<UserView>.Refused(ChatRefusal.NotFound);
        }

        db.Users.Remove(user);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ChatResult<UserView>.Ok(new UserView(user.Id, user.Username));
    }
}
