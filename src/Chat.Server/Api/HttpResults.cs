using Chat.Server.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>The context's outcomes as HTTP answers, the same for every endpoint.</summary>
internal static class HttpResults
{
    /// <summary>
    /// Ok → <paramref name="ok"/>; field errors → 422 <c>{"errors"}</c>; not found → 404 and
    /// forbidden → 403 (problem details); a storage failure → 503 <c>{"error"}</c>, to retry.
    /// </summary>
    public static Results<TOk, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>> ToHttp<T, TOk>(
        this ChatResult<T> result, Func<T, TOk> ok)
        where TOk : IResult
    {
        if (result.IsOk)
        {
            return ok(result.Value!);
        }

        if (result.Errors is { } errors)
        {
            return TypedResults.UnprocessableEntity(ErrorsResponse.From(errors));
        }

        return result.Refusal switch
        {
            ChatRefusal.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: ChannelReasons.NotFound),
            ChatRefusal.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, detail: ChannelReasons.Forbidden),
            _ => TypedResults.Json(new ErrorResponse(result.Failure ?? ChannelReasons.Unavailable), statusCode: StatusCodes.Status503ServiceUnavailable),
        };
    }

    /// <summary>404 for a room slug that names no room.</summary>
    public static ProblemHttpResult RoomNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: ChannelReasons.RoomNotFound);
}
