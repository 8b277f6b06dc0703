using Chat.Persistence;
using Chat.Validation;
using Microsoft.EntityFrameworkCore;

namespace Chat.Rooms;

/// <summary>
/// Rooms: listing, finding by slug, creating (with a unique slug), and the lobby every install
/// starts with. A new room is announced to <see cref="IChatEvents.RoomCreatedAsync"/>.
/// </summary>
/// <remarks>
/// Rooms are never renamed or deleted through the chat: nothing in the contract tells clients
/// that a room changed or went away, so open clients keep showing the old room until they
/// reload. Only an operator does it (<see cref="RenameAsync"/>, <see cref="DeleteAsync"/>,
/// from the admin commands), and a rename keeps the slug, so links and topics stay valid.
/// </remarks>
public sealed class RoomService
{
    /// <summary>The slug of the room every install starts with.</summary>
    public const string LobbySlug = "lobby";

    private const int SlugAttempts = 5;

    private readonly IDbContextFactory<ChatDbContext> _contexts;

    // Compiled once: every join finds its room, and EF Core's per-call work on a LINQ query
    // (extracting its parameters, looking it up in the query cache) was half of the room
    // lookup's CPU, and the lookup a seventh of a join's. Held per service, since a compiled
    // query binds to the first model it runs against (see HistoryQueries).
    private readonly Func<ChatDbContext, string, CancellationToken, Task<RoomView?>> _findBySlug =
        EF.CompileAsyncQuery((ChatDbContext db, string slug, CancellationToken cancellationToken) =>
            db.Rooms.AsNoTracking().Where(r => r.Slug == slug).Select(RoomView.FromEntity).FirstOrDefault());

    private readonly IChatEvents[] _events;
    private readonly TimeProvider _clock;
    private readonly SharedRoomViews _shared = new();
    private readonly SlugLocks _slugLocks = new();

    internal RoomService(IDbContextFactory<ChatDbContext> contexts, IEnumerable<IChatEvents> events, TimeProvider clock)
    {
        _contexts = contexts;
        _events = [.. events];
        _clock = clock;
    }

    /// <summary>
    /// A page of the room list, by name without regard to case, then by id (CONTRACT.md §2): the
    /// first, or the one after the room whose slug is <see cref="RoomListRequest.After"/>. An
    /// unknown <c>after</c> is a field error, so that a client paging through a list whose
    /// room has gone starts again rather than skips rooms.
    /// </summary>
    /// <remarks>
    /// A keyset page, so that a page costs the same however far into the list it is, and a room
    /// created while a client pages shifts nothing it has already read. The order is the
    /// database's on <c>lower(name)</c>: the anchor's key is read back from the database too,
    /// so that the page's bound and its order agree whatever the collation.
    /// </remarks>
    public async Task<ChatResult<RoomPage>> ListAsync(RoomListRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var limit = RoomRules.ListLimit(errors, request.Limit);
        if (!errors.IsEmpty)
        {
            return ChatResult<RoomPage>.Invalid(errors);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rooms = db.Rooms.AsNoTracking();
        if (request.After is { } after)
        {
            var anchor = await db.Rooms.Where(r => r.Slug == after).Select(r => new { Key = r.Name.ToLower(), r.Id })
                .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (anchor is null)
            {
                return ChatResult<RoomPage>.Invalid(FieldErrors.Of("after", ErrorMessages.DoesNotExist));
            }

            rooms = rooms.Where(r => string.Compare(r.Name.ToLower(), anchor.Key) > 0 || (r.Name.ToLower() == anchor.Key && r.Id > anchor.Id));
        }

        var page = await rooms.OrderBy(r => r.Name.ToLower()).ThenBy(r => r.Id).Take(limit + 1).Select(RoomView.FromEntity)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(limit);
        }

        return ChatResult<RoomPage>.Ok(new RoomPage(page, hasMore));
    }

    /// <summary>The room with this slug, or null.</summary>
    public async Task<RoomView?> FindAsync(string slug, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await _findBySlug(db, slug, cancellationToken).ConfigureAwait(false) is { } found ? _shared.Share(found) : null;
    }

    /// <summary>Creates a room with a slug made from its name (CONTRACT.md §2), and announces it.</summary>
    public async Task<ChatResult<RoomView>> CreateAsync(string? name, string? description, CancellationToken cancellationToken = default)
    {
        if (RoomRules.Validate(name, description, out var cleanName, out var cleanDescription) is { } errors)
        {
            return ChatResult<RoomView>.Invalid(errors);
        }

        var baseSlug = Slug.From(cleanName);
        var stem = baseSlug.Length == 0 ? "room" : baseSlug;
        Room room;
        using (await _slugLocks.EnterAsync(stem, cancellationToken).ConfigureAwait(false))
        {
            for (var attempt = 1; ; attempt++)
            {
                await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
                var taken = await db.Rooms.AsNoTracking()
                    .Where(r => r.Slug == stem || r.Slug.StartsWith(stem + "-"))
                    .Select(r => r.Slug)
                    .ToListAsync(cancellationToken).ConfigureAwait(false);
                var now = Clock.Now(_clock);
                room = new Room
                {
                    Name = cleanName,
                    Description = cleanDescription,
                    Slug = Slug.FirstFree(baseSlug, taken.ToHashSet(StringComparer.Ordinal)),
                    InsertedAt = now,
                    UpdatedAt = now,
                };
                db.Rooms.Add(room);
                try
                {
                    await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex) && attempt < SlugAttempts)
                {
                    // Another node took the same slug between our read and our insert: look again.
                }
                catch (DbUpdateException ex) when (DatabaseErrors.IsValueTooLong(ex))
                {
                    return ChatResult<RoomView>.Invalid(await DatabaseErrors.TooLongFieldsAsync(db, ex, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        var view = RoomView.Of(room);
        foreach (var handler in _events)
        {
            await handler.RoomCreatedAsync(view).ConfigureAwait(false);
        }

        return ChatResult<RoomView>.Ok(view);
    }

    /// <summary>Creates the room every install starts with (slug <c>lobby</c>), unless it exists.</summary>
    public async Task EnsureLobbyAsync(CancellationToken cancellationToken = default)
    {
        if (await FindAsync(LobbySlug, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var now = Clock.Now(_clock);
        db.Rooms.Add(new Room { Name = "Lobby", Slug = LobbySlug, Description = "Where everyone starts.", InsertedAt = now, UpdatedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // Another node created it first.
        }
    }

    /// <summary>Gives a room a new name (and keeps its slug, so links and topics still work).</summary>
    public async Task<ChatResult<RoomView>> RenameAsync(string slug, string? name, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var room = await db.Rooms.FirstOrDefaultAsync(r => r.Slug == slug, cancellationToken).ConfigureAwait(false);
        if (room is null)
        {
            return ChatResult<RoomView>.Refused(ChatRefusal.NotFound);
        }

        if (RoomRules.Validate(name, room.Description, out var cleanName, out _) is { } errors)
        {
            return ChatResult<RoomView>.Invalid(errors);
        }

        room.Name = cleanName;
        room.UpdatedAt = Clock.Now(_clock);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsValueTooLong(ex))
        {
            return ChatResult<RoomView>.Invalid(await DatabaseErrors.TooLongFieldsAsync(db, ex, cancellationToken).ConfigureAwait(false));
        }

        return ChatResult<RoomView>.Ok(RoomView.Of(room));
    }

    /// <summary>
    /// Deletes a room and every message in it. The lobby cannot be deleted: every install has
    /// it, and it would come back at the next start.
    /// </summary>
    public async Task<ChatResult<DeletedRoom>> DeleteAsync(string slug, CancellationToken cancellationToken = default)
    {
        if (slug == LobbySlug)
        {
            return ChatResult<DeletedRoom>.Refused(ChatRefusal.Forbidden);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var room = await db.Rooms.FirstOrDefaultAsync(r => r.Slug == slug, cancellationToken).ConfigureAwait(false);
        if (room is null)
        {
            return ChatResult<DeletedRoom>.Refused(ChatRefusal.NotFound);
        }

        var messages = await db.Messages.LongCountAsync(m => m.RoomId == room.Id, cancellationToken).ConfigureAwait(false);
        // The messages go with it: the foreign key cascades.
        db.Rooms.Remove(room);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        _shared.Forget(room.Id);
        return ChatResult<DeletedRoom>.Ok(new DeletedRoom(RoomView.Of(room), messages));
    }
}

/// <summary>A room that was deleted, and how many messages went with it.</summary>
public sealed record DeletedRoom(RoomView Room, long Messages);
