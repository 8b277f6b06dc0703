using System.Globalization;
using System.Security.Claims;
using Chat.Accounts;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Chat.Server.Auth;

/// <summary>
/// Issues and verifies the chat's tokens (CONTRACT.md §1): HS256 JWTs with <c>sub</c> (the
/// user id), <c>name</c> (the username) and <c>exp</c>. A host application that shares the
/// key mints the same tokens for its own users.
/// </summary>
public sealed class TokenService
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;
    private readonly TokenRevocations? _revocations;

    /// <param name="revocations">Sign-outs everywhere to refuse tokens by; the server always has them, a unit test may not.</param>
    public TokenService(SigningKeyStore keys, IOptions<AuthOptions> options, TimeProvider clock, TokenRevocations? revocations = null)
    {
        _clock = clock;
        _revocations = revocations;
        _lifetime = options.Value.TokenLifetime;
        _credentials = new SigningCredentials(keys.Key, SecurityAlgorithms.HmacSha256);
        _validation = CreateValidationParameters(keys.Key);
    }

    /// <summary>The rules every token must pass, shared with the HTTP bearer authentication.</summary>
    public TokenValidationParameters ValidationParameters => _validation;

    public static TokenValidationParameters CreateValidationParameters(SecurityKey key) => new()
    {
        IssuerSigningKey = key,
        // Only HS256: a token that names another algorithm, "none" included, is refused.
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        // The contract names no issuer or audience, so that other systems can mint tokens.
        ValidateIssuer = false,
        ValidateAudience = false,
        NameClaimType = "name",
    };

    public string Issue(ChatUser user) => Issue(user, _lifetime);

    /// <summary>A token for <paramref name="user"/> that is valid for <paramref name="lifetime"/>.</summary>
    public string Issue(ChatUser user, TimeSpan lifetime)
    {
        // Never at or before the second of the user's last sign-out everywhere, or the token
        // issued right after it would be revoked already.
        var now = _clock.GetUtcNow().UtcDateTime;
        now = _revocations?.IssueTime(user.Id, now) ?? now;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(CultureInfo.InvariantCulture),
                ["name"] = user.Username,
            },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = _credentials,
        });
    }

    /// <summary>The user a token speaks for, or null when it is missing, tampered with, expired, unsigned or revoked.</summary>
    public async ValueTask<ChatUser?> VerifyAsync(string? token) => (await CheckAsync(token).ConfigureAwait(false)).User;

    /// <summary>Whom a token speaks for and until when, or why this server refuses it.</summary>
    public async ValueTask<TokenCheck> CheckAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 8192)
        {
            return new TokenCheck(null, null, "it is empty or longer than 8192 characters");
        }

        var result = await _handler.ValidateTokenAsync(token.Trim(), _validation).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return new TokenCheck(null, null, Describe(result.Exception));
        }

        var expires = result.SecurityToken.ValidTo;
        if (FromClaims(result.ClaimsIdentity) is not { } user)
        {
            return new TokenCheck(null, expires, "it names no user: sub must be a positive integer and name at most 64 characters without control characters");
        }

        return await IsRevokedAsync(user, result.SecurityToken).ConfigureAwait(false)
            ? new TokenCheck(null, expires, "it was revoked: its user signed out everywhere after it was issued")
            : new TokenCheck(user, expires, null);
    }

    /// <summary>True when the user signed out everywhere after <paramref name="token"/> was issued.</summary>
    public ValueTask<bool> IsRevokedAsync(ChatUser user, SecurityToken token) =>
        _revocations is null ? ValueTask.FromResult(false) : _revocations.IsRevokedAsync(user.Id, token is JsonWebToken { IssuedAt: var issued } && issued != DateTime.MinValue ? issued : null);

    private static string Describe(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException expired => $"it expired at {expired.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}",
        SecurityTokenNotYetValidException early => $"it is not valid before {early.NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "its signature does not match this server's signing key",
        SecurityTokenInvalidAlgorithmException => "it is not signed with HS256",
        SecurityTokenNoExpirationException => "it has no expiry (exp)",
        SecurityTokenMalformedException => "it is not a JWT",
        null => "it is not valid",
        _ => failure.Message,
    };

    /// <summary>
    /// Reads the user from a validated identity; null unless <c>sub</c> is a positive integer and
    /// <c>name</c> is a name messages can carry (<see cref="AccountRules.AuthorName"/>: at most 64
    /// characters, no control characters). A host that mints a longer name gets its token refused
    /// at the door, not a failed insert on the user's first message.
    /// </summary>
    public static ChatUser? FromClaims(ClaimsIdentity? identity)
    {
        var sub = identity?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        var name = identity?.FindFirst("name")?.Value;
        return long.TryParse(sub, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 && AccountRules.IsAuthorName(name)
            ? new ChatUser(id, name!)
            : null;
    }
}

/// <summary>The verdict on a token: its user and expiry, or why it is refused.</summary>
public sealed record TokenCheck(ChatUser? User, DateTime? Expires, string? Refusal);
