using Chat.Accounts;
using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Contract;
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
        api.MapPost("/users", RegisterAsync).WithName("Register");
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

    private static async Task<Results<Ok<SessionResponse>, JsonHttpResult<ErrorResponse>>> SignInAsync(
        CredentialsRequest body, AccountService accounts, TokenService tokens, ILoggerFactory loggers, HttpContext context, CancellationToken cancellationToken)
    {
        var user = await accounts.VerifyPasswordAsync(body.Username, body.Password, cancellationToken);
        ServerDiagnostics.SignIns.Add(1, ServerDiagnostics.Result(user is not null));
        if (user is null)
        {
            LogSignInFailed(loggers.CreateLogger(typeof(AccountEndpoints)), body.Username, context.Connection.RemoteIpAddress);
            return TypedResults.Json(new ErrorResponse("invalid username or password"), statusCode: StatusCodes.Status401Unauthorized);
        }

        return TypedResults.Ok(new SessionResponse(user, tokens.Issue(new ChatUser(user.Id, user.Username))));
    }

    /// <summary>
    /// Closes every socket of the signed-in user, on every node (close code 1001). Tokens are
    /// stateless and stay valid until they expire: a client signing out discards its own.
    /// </summary>
    private static async Task<NoContent> DisconnectEverywhereAsync(CurrentUser current, Broadcaster broadcaster, CancellationToken cancellationToken)
    {
        await broadcaster.DisconnectAsync(UserSocket.SocketId(current.User.Id), cancellationToken);
        return TypedResults.NoContent();
    }

    [LoggerMessage(1, LogLevel.Debug, "Sign-in as {Username} from {RemoteIp} failed.")]
    private static partial void LogSignInFailed(ILogger logger, string? username, System.Net.IPAddress? remoteIp);
}
