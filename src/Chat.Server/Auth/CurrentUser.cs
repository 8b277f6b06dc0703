using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Chat.Server.Auth;

/// <summary>
/// The signed-in user of a request, as an endpoint parameter: <c>(CurrentUser current) =&gt; …
/// current.User</c> on an endpoint that requires authorization. A token that verifies but names
/// no user fails authentication itself (<see cref="RequireUserInToken"/>), with a 401, so no
/// endpoint needs a branch of its own for it; the socket refuses such a token the same way.
/// </summary>
public sealed record CurrentUser(ChatUser User) : IBindableFromHttpContext<CurrentUser>
{
    /// <summary>Bearer authentication that accepts only tokens naming a user (<c>sub</c> and <c>name</c>) that were not revoked.</summary>
    internal static JwtBearerEvents RequireUserInToken { get; } = new()
    {
        OnTokenValidated = async context =>
        {
            if (TokenService.FromClaims(context.Principal?.Identity as ClaimsIdentity) is not { } user)
            {
                context.Fail("the token names no user");
            }
            else if (await context.HttpContext.RequestServices.GetRequiredService<TokenService>().IsRevokedAsync(user, context.SecurityToken))
            {
                // Its user signed out everywhere after it was issued.
                context.Fail("the token was revoked");
            }
        },
    };

    public static ValueTask<CurrentUser?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult(TokenService.FromClaims(context.User.Identity as ClaimsIdentity) is { } user ? new CurrentUser(user) : null);
}
