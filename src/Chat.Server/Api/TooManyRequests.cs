using System.Globalization;
using System.Reflection;
using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Microsoft.AspNetCore.Http.Metadata;

namespace Chat.Server.Api;

/// <summary>
/// 429 <c>{"error": "rate_limited"}</c> with <c>Retry-After</c> in whole seconds, rounded up:
/// the answer to every request over a rate limit.
/// </summary>
public sealed class TooManyRequests(TimeSpan retryAfter) : IResult, IEndpointMetadataProvider
{
    private static readonly ErrorResponse Body = new(ChannelReasons.RateLimited);

    public TimeSpan RetryAfter { get; } = retryAfter;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(RetryAfter.TotalSeconds));
        httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Json(Body, ChatJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(httpContext);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(ErrorResponse), ["application/json"]));
}

/// <summary>Endpoints that spend a rate limit before they run.</summary>
internal static class RateLimitedEndpoints
{
    /// <summary>
    /// Spends <paramref name="take"/>'s limit before the handler runs; over it, the request is
    /// answered <see cref="TooManyRequests"/> and the handler never runs.
    /// </summary>
    public static TBuilder RateLimited<TBuilder>(this TBuilder builder, Func<RateLimits, HttpContext, ValueTask<RateDecision>> take)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var limits = context.HttpContext.RequestServices.GetRequiredService<RateLimits>();
            var decision = await take(limits, context.HttpContext);
            return decision.Allowed ? await next(context) : new TooManyRequests(decision.RetryAfter);
        });
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(ErrorResponse), ["application/json"]));
        return builder;
    }

    /// <summary>Spends one of the signed-in user's messages: the same bucket as a socket's <c>new_msg</c>.</summary>
    public static TBuilder SharesMessageBudget<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RateLimited((limits, http) => limits.SendAsync(UserId(http)));

    /// <summary>Counts a room the signed-in user creates: the same count as <c>create_room</c>.</summary>
    public static TBuilder CountsRoomCreations<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RateLimited((limits, http) => limits.CreateRoomAsync(UserId(http)));

    /// <summary>The signed-in user's id; these filters only run on endpoints that require one.</summary>
    private static long UserId(HttpContext http) =>
        TokenService.FromClaims(http.User.Identity as System.Security.Claims.ClaimsIdentity)?.Id
        ?? throw new InvalidOperationException("A rate limit per user on an endpoint that does not require a user.");
}
