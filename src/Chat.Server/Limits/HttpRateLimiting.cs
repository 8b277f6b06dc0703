using System.Security.Claims;
using System.Threading.RateLimiting;
using Chat.Channels;
using Chat.Server.Api;
using Chat.Server.Auth;
using Chat.Server.Configuration;

namespace Chat.Server.Limits;

/// <summary>
/// The limits of <see cref="RateLimits"/> on HTTP endpoints, through ASP.NET Core's
/// rate-limiting middleware: one policy per limit, whose limiters ask <see cref="RateLimits"/>.
/// So an HTTP post spends the very budget a socket's <c>new_msg</c> spends, in Redis when the
/// nodes share it, and a refusal is <see cref="TooManyRequests"/>: 429 with <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// Sign-in is not among the policies: it counts failures, which only the endpoint learns of,
/// so the endpoint asks <see cref="RateLimits"/> itself.
/// </remarks>
public static class HttpRateLimiting
{
    /// <summary>Spends one of the signed-in user's messages.</summary>
    public const string Messages = "messages";

    /// <summary>Counts a room the signed-in user creates.</summary>
    public const string RoomCreations = "room-creations";

    /// <summary>Counts a sign-up from the client's address.</summary>
    public const string SignUps = "sign-ups";

    /// <summary>Registers <c>Chat:RateLimit</c>, <see cref="RateLimits"/> and the middleware's policies.</summary>
    public static IServiceCollection AddChatRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<RateLimitOptions>(configuration, RateLimitOptions.Section);
        services.AddChatOptions<HistoryRateLimitOptions>(configuration, HistoryRateLimitOptions.Section);
        services.AddSingleton<RateLimits>();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                return new ValueTask(new TooManyRequests(retryAfter).ExecuteAsync(context.HttpContext));
            };
            options.AddPolicy(Messages, http => PerUser(http, (limits, userId) => limits.SendAsync(userId)));
            options.AddPolicy(RoomCreations, http => PerUser(http, (limits, userId) => limits.CreateRoomAsync(userId)));
            options.AddPolicy(SignUps, http =>
            {
                var limits = http.RequestServices.GetRequiredService<RateLimits>();
                return RateLimitPartition.Get(ClientAddress.Key(http.Connection.RemoteIpAddress), address => new RateLimitsLimiter(() => limits.SignUpAsync(address)));
            });
        });
        return services;
    }

    /// <summary>A limit per signed-in user; the endpoints that use one require a user, so a request without one was refused before.</summary>
    private static RateLimitPartition<long> PerUser(HttpContext http, Func<RateLimits, long, ValueTask<RateDecision>> take)
    {
        if (TokenService.FromClaims(http.User.Identity as ClaimsIdentity) is not { } user)
        {
            return RateLimitPartition.GetNoLimiter(0L);
        }

        var limits = http.RequestServices.GetRequiredService<RateLimits>();
        return RateLimitPartition.Get(user.Id, userId => new RateLimitsLimiter(() => take(limits, userId)));
    }
}
