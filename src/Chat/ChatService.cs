using System.Text.RegularExpressions;
using Chat.Messages;
using Chat.Persistence;
using Chat.Rooms;
using Chat.Users;
using Chat.Validation;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat;

/// <summary>
/// The chat context (the seed's <c>chat.ex</c>): every read and write of rooms, messages and
/// users goes through here. Input is validated into field errors; entities never leave,
/// only views do; and after each committed write the context publishes an event.
/// </summary>
public sealed partial class ChatService
{
    public const int RoomDescriptionMaxLength = 1000;
    public const int UsernameMinLength = 3;
    public const int PasswordMinLength = 8;
    public const int PasswordMaxLength = 200;
    public const int MaxHistoryLimit = 100;
    public const int MaxCatchUpLimit = 500;
    private const int SlugAttempts = 5;

    private static readonly System.Linq.Expressions.Expression<Func<Room, RoomView>> ToView =
        r => new RoomView(r.Id, r.Name, r.Slug, r.Description, r.InsertedAt, r.UpdatedAt);

    private static readonly Func<Room, RoomView> View = ToView.Compile();

    private readonly IDbContextFactory<ChatDbContext> _contexts;
    private readonly MessageWriter _writer;
    private readonly IEnumerable<IChatEvents> _events;
    private readonly TimeProvider _clock;
    private readonly PasswordHasher<User> _hasher = new();
    private readonly HistoryQueries _history = new();
    private readonly int _maxMessageLength;
    private readonly Lazy<string> _dummyHash;

    internal ChatService(
        IDbContextFactory<ChatDbContext> contexts,
        MessageWriter writer,
        IEnumerable<IChatEvents> events,
        IOptions<ChatOptions> options,
        TimeProvider clock)
    {
        _contexts = contexts;
        _writer = writer;
        _events = events;
        _clock = clock;
        _maxMessageLength = options.Value.MaxMessageLength;
        _dummyHash = new Lazy<string>(() => _hasher.HashPassword(null!, "a password nobody has"));
    }

    public int MaxMessageLength => _maxMessageLength;

    // --- Rooms -------------------------------------------------------------------------

    public async Task<IReadOnlyList<RoomView>> ListRoomsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rooms = await db.Rooms.AsNoTracking().Select(ToView).ToListAsync(cancellationToken).ConfigureAwait(false);
        // Sorted here, not in SQL: the order must not depend on the database's collation.
        rooms.Sort((a, b) => string.Compare(a.Name, b.Name, StringComparison.OrdinalIgnoreCase) is var c and not 0 ? c : a.Id.CompareTo(b.Id));
        return rooms;
    }

    public async Task<RoomView?> GetRoomAsync(string slug, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Rooms.AsNoTracking().Where(r => r.Slug == slug).Select(ToView).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ChatResult<RoomView>> CreateRoomAsync(string? name, string? description, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var cleanName = TextRules.Required(errors, "name", name, RoomConfiguration.NameMaxLength);
        var cleanDescription = TextRules.Optional(errors, "description", description, RoomDescriptionMaxLength);
        if (!errors.IsEmpty)
        {
            return ChatResult<RoomView>.Invalid(errors);
        }

        var baseSlug = Slug.From(cleanName!);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var stem = baseSlug.Length == 0 ? "room" : baseSlug;
            var taken = await db.Rooms.AsNoTracking()
                .Where(r => r.Slug == stem || r.Slug.StartsWith(stem + "-"))
                .Select(r => r.Slug)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var now = Now();
            var room = new Room
            {
                Name = cleanName!,
                Description = cleanDescription,
                Slug = Slug.FirstFree(baseSlug, taken.ToHashSet(StringComparer.Ordinal)),
                InsertedAt = now,
                UpdatedAt = now,
            };
            db.Rooms.Add(room);
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException ex) when (IsUniqueViolation(ex) && attempt < SlugAttempts)
            {
                // Another room took the same slug between our read and our insert: look again.
                continue;
            }

            var view = View(room);
            foreach (var handler in _events)
            {
                await handler.RoomCreatedAsync(view).ConfigureAwait(false);
            }

            return ChatResult<RoomView>.Ok(view);
        }
    }

    /// <summary>Renames or redescribes a room. The slug stays: links and topics keep working.</summary>
    public async Task<ChatResult<RoomView>?> UpdateRoomAsync(string slug, string? name, string? description, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var cleanName = TextRules.Required(errors, "name", name, RoomConfiguration.NameMaxLength);
        var cleanDescription = TextRules.Optional(errors, "description", description, RoomDescriptionMaxLength);
        if (!errors.IsEmpty)
        {
            return ChatResult<RoomView>.Invalid(errors);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var room = await db.Rooms.FirstOrDefaultAsync(r => r.Slug == slug, cancellationToken).ConfigureAwait(false);
        if (room is null)
        {
            return null;
        }

        room.Name = cleanName!;
        room.Description = cleanDescription;
        room.UpdatedAt = Now();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ChatResult<RoomView>.Ok(View(room));
    }

    /// <summary>Deletes a room and, by the foreign key's cascade, its messages.</summary>
    public async Task<bool> DeleteRoomAsync(string slug, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Rooms.Where(r => r.Slug == slug).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Creates the room every install starts with (slug <c>lobby</c>), unless it exists.</summary>
    public async Task EnsureLobbyAsync(CancellationToken cancellationToken = default)
    {
        if (await GetRoomAsync("lobby", cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var now = Now();
        db.Rooms.Add(new Room { Name = "Lobby", Slug = "lobby", Description = "Where everyone starts.", InsertedAt = now, UpdatedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            // Another node created it first.
        }
    }

    // --- Messages ----------------------------------------------------------------------

    /// <summary>
    /// Validates and stores a message through the group-commit writer; completes once it is
    /// durable and has been announced to <see cref="IChatEvents.MessagesStoredAsync"/>. A
    /// repeated <paramref name="clientId"/> from the same user in the same room returns the
    /// original, which is not stored or broadcast again.
    /// </summary>
    /// <param name="origin">
    /// The caller's token for this send, handed back untouched in
    /// <see cref="StoredMessage.Origin"/>: a channel passes its reply handle, so that the
    /// host answers the sender right before the broadcast, in commit order. Invalid input and
    /// failures are never announced; they come back from this call only.
    /// </param>
    public async Task<ChatResult<PostedMessage>> CreateMessageAsync(
        RoomView room, ChatUser author, string? content, string? clientId,
        object? origin = null, CancellationToken cancellationToken = default)
    {
        var errors = ValidateMessage(content, clientId, out var cleanContent, out var cleanClientId);
        if (errors is not null)
        {
            return ChatResult<PostedMessage>.Invalid(errors);
        }

        var pending = new PendingMessage(room.Id, room.Slug, author, cleanContent!, cleanClientId, origin);
        return await _writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a message without storing it; null when it is valid.</summary>
    private FieldErrors? ValidateMessage(string? content, string? clientId, out string? cleanContent, out string? cleanClientId)
    {
        var errors = new FieldErrors();
        cleanContent = TextRules.Required(errors, "content", content, _maxMessageLength);
        cleanClientId = string.IsNullOrEmpty(clientId) ? null : clientId;
        if (cleanClientId is not null && cleanClientId.Length > Persistence.MessageConfiguration.ClientIdMaxLength)
        {
            errors.Add("client_id", ErrorMessages.TooLong(Persistence.MessageConfiguration.ClientIdMaxLength));
        }

        return errors.IsEmpty ? null : errors;
    }

    /// <summary>
    /// Reads a page of a room's history, oldest first. Without ids: the newest messages.
    /// With <see cref="HistoryRequest.BeforeId"/>: the newest older than it. With
    /// <see cref="HistoryRequest.AfterId"/>: the oldest newer than it, for catching up.
    /// <see cref="HistoryPage.HasMore"/> tells whether more lie beyond the page in the
    /// direction read.
    /// </summary>
    public async Task<HistoryPage> ListMessagesAsync(long roomId, HistoryRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Limit, 1);
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var before = request.BeforeId ?? HistoryQueries.NoUpperBound;
        var after = request.AfterId ?? HistoryQueries.NoLowerBound;
        // One row past the limit answers has_more without a count.
        var query = request.AfterId is null ? _history.NewestFirst : _history.OldestFirst;
        var rows = new List<MessageView>(request.Limit + 1);
        await foreach (var row in query(db, roomId, before, after, request.Limit + 1).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        var hasMore = rows.Count > request.Limit;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (request.AfterId is null)
        {
            rows.Reverse();
        }

        return new HistoryPage(rows, hasMore);
    }

    // --- Users -------------------------------------------------------------------------

    public async Task<ChatResult<UserView>> RegisterAsync(string? username, string? password, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var cleanUsername = ValidateUsername(errors, username);
        ValidatePassword(errors, password);
        if (!errors.IsEmpty)
        {
            return ChatResult<UserView>.Invalid(errors);
        }

        var normalized = Normalize(cleanUsername!);
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Users.AnyAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false))
        {
            return ChatResult<UserView>.Invalid(FieldErrors.Of("username", ErrorMessages.Taken));
        }

        var now = Now();
        var user = new User { Username = cleanUsername!, NormalizedUsername = normalized, PasswordHash = "", InsertedAt = now, UpdatedAt = now };
        user.PasswordHash = _hasher.HashPassword(user, password!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            return ChatResult<UserView>.Invalid(FieldErrors.Of("username", ErrorMessages.Taken));
        }

        return ChatResult<UserView>.Ok(new UserView(user.Id, user.Username));
    }

    /// <summary>The account for a username and password, or null. Takes as long when the user does not exist.</summary>
    public async Task<UserView?> VerifyPasswordAsync(string? username, string? password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password) || username.Length > 64 || password.Length > PasswordMaxLength)
        {
            return null;
        }

        var normalized = Normalize(username.Trim());
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUsername == normalized, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            // Hash anyway, so the answer's timing does not reveal which usernames exist.
            _hasher.VerifyHashedPassword(null!, _dummyHash.Value, password);
            return null;
        }

        var verdict = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = _hasher.HashPassword(user, password);
            user.UpdatedAt = Now();
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        return new UserView(user.Id, user.Username);
    }

    private static string? ValidateUsername(FieldErrors errors, string? username)
    {
        var clean = TextRules.Required(errors, "username", username, UserConfiguration.UsernameMaxLength, UsernameMinLength);
        if (clean is not null && !UsernamePattern().IsMatch(clean))
        {
            errors.Add("username", ErrorMessages.InvalidFormat);
        }

        return clean;
    }

    private static void ValidatePassword(FieldErrors errors, string? password)
    {
        // Passwords are not trimmed: every character the user typed counts.
        if (string.IsNullOrEmpty(password))
        {
            errors.Add("password", ErrorMessages.Blank);
        }
        else
        {
            TextRules.CheckLength(errors, "password", password, PasswordMaxLength, PasswordMinLength);
        }
    }

    // ASCII only: look-alike letters from other scripts would let one user pass for another.
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex UsernamePattern();

    private static string Normalize(string username) => username.ToLowerInvariant();

    private DateTime Now() => MessageWriter.TruncateToMilliseconds(_clock.GetUtcNow().UtcDateTime);

    private static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

}
