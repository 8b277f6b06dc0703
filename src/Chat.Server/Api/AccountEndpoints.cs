using Chat.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Sign-up and sign-in (CONTRACT.md §1). Both answer with the user and a token.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Accounts");
        api.MapPost("/users", RegisterAsync).WithName("Register");
        api.MapPost("/session", SignInAsync).WithName("SignIn");
        return app;
    }

    private static async Task<Results<Created<SessionResponse>, UnprocessableEntity<ErrorsResponse>>> RegisterAsync(
        CredentialsRequest body, ChatService chat, TokenService tokens, CancellationToken cancellationToken)
    {
        var result = await chat.RegisterAsync(body.Username, body.Password, cancellationToken);
        if (!result.IsOk)
        {
            return TypedResults.UnprocessableEntity(ErrorsResponse.From(result.Errors!));
        }

        var user = result.Value!;
        return TypedResults.Created((string?)null, new SessionResponse(user, tokens.Issue(new ChatUser(user.Id, user.Username))));
    }

    private static async Task<Results<Ok<SessionResponse>, JsonHttpResult<ErrorResponse>>> SignInAsync(
        CredentialsRequest body, ChatService chat, TokenService tokens, CancellationToken cancellationToken)
    {
        var user = await chat.VerifyPasswordAsync(body.Username, body.Password, cancellationToken);
        if (user is null)
        {
            return TypedResults.Json(new ErrorResponse("invalid username or password"), statusCode: StatusCodes.Status401Unauthorized);
        }

        return TypedResults.Ok(new SessionResponse(user, tokens.Issue(new ChatUser(user.Id, user.Username))));
    }
}
