using System.Collections.Concurrent;
using Chat.Accounts;
using Chat.Channels;
using Chat.Channels.PubSub;
using Chat.Server.Api;
using Chat.Server.Contract;

namespace Chat.Server.Auth;

/// <summary>
/// Sign-out everywhere (CONTRACT.md §1): every token a user was issued before that moment is
/// refused from then on, over HTTP and on connect, on every node, whoever minted it. Tokens are
/// stateless, so what is kept is one moment per user who signed out: the database holds them
/// (<see cref="TokenRevocationService"/>), every node holds them all in memory to check tokens
/// without a query, and a new one reaches the other nodes through the pubsub.
/// </summary>
/// <remarks>
/// A token is refused when its <c>iat</c> (issued at, whole seconds) is at or before the second of
/// the user's revocation, or when it has no <c>iat</c> at all and its user has signed out
/// everywhere: a token that cannot say when it was issued cannot show that it came after.
/// Tokens this server issues in the same second as a revocation carry the next second, so that
/// signing in again at once works. A node that may have missed a revocation (the pubsub was
/// interrupted) reads them all again.
/// </remarks>
public sealed partial class TokenRevocations : IBroadcastSubscriber
{
    private const string RevokedEvent = "revoked";

    private readonly TokenRevocationService _store;
    private readonly IPubSub _pubSub;
    private readonly ILogger<TokenRevocations> _logger;
    private readonly ConcurrentDictionary<long, long> _revokedThroughSecond = new();
    private readonly Lock _gate = new();
    private Task? _ready;
    private IDisposable? _subscription;

    public TokenRevocations(TokenRevocationService store, IPubSub pubSub, ILogger<TokenRevocations> logger)
    {
        _store = store;
        _pubSub = pubSub;
        _logger = logger;
    }

    /// <summary>True when a token of <paramref name="userId"/> issued at <paramref name="issuedAt"/> (null: unknown) was revoked.</summary>
    public async ValueTask<bool> IsRevokedAsync(long userId, DateTime? issuedAt)
    {
        await ReadyAsync().ConfigureAwait(false);
        return _revokedThroughSecond.TryGetValue(userId, out var second)
            && (issuedAt is not { } issued || UnixSecond(issued) <= second);
    }

    /// <summary>
    /// The earliest <c>iat</c> a token issued for <paramref name="userId"/> at <paramref name="now"/>
    /// may carry so that it is not revoked already: <paramref name="now"/>, or the second after
    /// the user's revocation when that was in this very second.
    /// </summary>
    public DateTime IssueTime(long userId, DateTime now) =>
        _revokedThroughSecond.TryGetValue(userId, out var second) && UnixSecond(now) <= second
            ? DateTime.UnixEpoch.AddSeconds(second + 1)
            : now;

    /// <summary>Revokes every token of <paramref name="userId"/> issued up to <paramref name="at"/>, on every node.</summary>
    public async Task RevokeAsync(long userId, DateTime at, CancellationToken cancellationToken = default)
    {
        await ReadyAsync().ConfigureAwait(false);
        var revocation = await _store.RevokeAsync(userId, at, cancellationToken).ConfigureAwait(false);
        Apply(revocation.UserId, revocation.RevokedBefore);
        var notice = Payload.Serialize(new RevocationNotice(revocation.UserId, UnixSecond(revocation.RevokedBefore)), ChatJsonContext.Default.RevocationNotice);
        await _pubSub.BroadcastAsync(new Broadcast(Topics.TokenRevocations, RevokedEvent, notice), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes, then reads every revocation; again after a failure, on the next call.</summary>
    private Task ReadyAsync()
    {
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = LoadAsync();
            }

            return _ready;
        }
    }

    private async Task LoadAsync()
    {
        // Subscribed first, so that a revocation made while the rest are read is not missed.
        _subscription ??= await _pubSub.SubscribeAsync(Topics.TokenRevocations, this).ConfigureAwait(false);
        foreach (var revocation in await _store.ListAsync().ConfigureAwait(false))
        {
            Apply(revocation.UserId, revocation.RevokedBefore);
        }
    }

    private void Apply(long userId, DateTime revokedBefore) => Apply(userId, UnixSecond(revokedBefore));

    private void Apply(long userId, long second) =>
        _revokedThroughSecond.AddOrUpdate(userId, second, (_, known) => Math.Max(known, second));

    void IBroadcastSubscriber.Deliver(Broadcast broadcast)
    {
        if (broadcast.IsInterruption)
        {
            // Revocations may have been lost on the way: read them all again.
            lock (_gate)
            {
                _ready = null;
            }

            _ = ReloadAsync();
            return;
        }

        if (broadcast.Event == RevokedEvent && ReadNotice(broadcast.Payload) is { } notice)
        {
            Apply(notice.UserId, notice.RevokedThroughSecond);
        }
    }

    private async Task ReloadAsync()
    {
        try
        {
            await ReadyAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The next token check tries again.
            LogReloadFailed(_logger, ex);
        }
    }

    private static RevocationNotice? ReadNotice(Payload payload)
    {
        try
        {
            return payload.IsBinary ? null : payload.Deserialize(ChatJsonContext.Default.RevocationNotice);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static long UnixSecond(DateTime time) => (long)Math.Floor((time.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds);

    [LoggerMessage(1, LogLevel.Warning, "Could not read the token revocations again after the pubsub was interrupted; the next token check retries.")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}

/// <summary>What goes to the other nodes when a user signs out everywhere.</summary>
internal sealed record RevocationNotice(long UserId, long RevokedThroughSecond);
