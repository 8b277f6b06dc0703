using Chat.Accounts;
using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Chat.Server.Sockets;
using Chat.Server.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Sign-up and sign-in (CONTRACT.md §1). Both answer with the user and a token.</summary>
public static partial class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Accounts");
        api.MapPost("/users", RegisterAsync).WithName("Register")
            .RequireRateLimiting(HttpRateLimiting.SignUps);
        api.MapPost("/session", SignInAsync).WithName("SignIn");
        api.MapDelete("/session", DisconnectEverywhereAsync).WithName("DisconnectEverywhere").RequireAuthorization();
        return app;
    }

    private static async Task<Results<Created<SessionResponse>, UnprocessableEntity<ErrorsResponse>>> RegisterAsync(
        CredentialsRequest body, AccountService accounts, TokenService tokens, CancellationToken cancellationToken)
    {
        var result = await accounts.RegisterAsync(body.Username, body.Password, cancellationToken);
        if (!result.IsOk)
        {
            return TypedResults.UnprocessableEntity(ErrorsResponse.From(result.Errors!));
        }

        var user = result.Value!;
        return TypedResults.Created((string?)null, new SessionResponse(user, tokens.Issue(new ChatUser(user.Id, user.Username))));
    }

    /// <summary>
    /// Checks a password. Failures count against the username and the client's address
    /// (<see cref="RateLimitOptions.SignInFailuresPerUsername"/>, <see cref="RateLimitOptions.SignInFailuresPerAddress"/>);
    /// past either limit every attempt is answered 429 until the window has passed, before the
    /// password is even looked at, so that a right guess then cannot be told from a wrong one.
    /// </summary>
    private static async Task<Results<Ok<SessionResponse>, JsonHttpResult<ErrorResponse>, TooManyRequests>> SignInAsync(
        CredentialsRequest body, HttpContext http, AccountService accounts, TokenService tokens, RateLimits limits, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var address = ClientAddress.Key(http.Connection.RemoteIpAddress);
        if (await limits.SignInAttemptAsync(body.Username, address) is { Allowed: false } refused)
        {
            return new TooManyRequests(refused.RetryAfter);
        }

        var user = await accounts.VerifyPasswordAsync(body.Username, body.Password, cancellationToken);
        ServerDiagnostics.SignIns.Add(1, ServerDiagnostics.Result(user is not null));
        if (user is null)
        {
            LogSignInFailed(loggers.CreateLogger(typeof(AccountEndpoints)), body.Username, http.Connection.RemoteIpAddress);
            return TypedResults.Json(new ErrorResponse("invalid username or password"), statusCode: StatusCodes.Status401Unauthorized);
        }

        await limits.SignInSucceededAsync(body.Username, address);
        return TypedResults.Ok(new SessionResponse(user, tokens.Issue(new ChatUser(user.Id, user.Username))));
    }

    /// <summary>
    /// Signs the user out everywhere: every token issued to them until now is revoked, on every
    /// node (the one this request carries too), and every socket of theirs is closed with 1001;
    /// phoenix.js reconnects and is refused until it has a new token.
    /// </summary>
    private static async Task<NoContent> DisconnectEverywhereAsync(
        CurrentUser current, TokenRevocations revocations, Broadcaster broadcaster, TimeProvider clock, CancellationToken cancellationToken)
    {
        // Revoked first, so that a socket closed by the disconnect cannot come back with its token.
        await revocations.RevokeAsync(current.User.Id, clock.GetUtcNow().UtcDateTime, cancellationToken);
        await broadcaster.DisconnectAsync(UserSocket.SocketId(current.User.Id), cancellationToken);
        return TypedResults.NoContent();
    }

    [LoggerMessage(1, LogLevel.Debug, "Sign-in as {Username} from {RemoteIp} failed.")]
    private static partial void LogSignInFailed(ILogger logger, string? username, System.Net.IPAddress? remoteIp);
}
