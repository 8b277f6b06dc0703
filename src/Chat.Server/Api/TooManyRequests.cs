using System.Globalization;
using System.Reflection;
using Chat.Server.Contract;
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
