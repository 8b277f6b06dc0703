using Chat.Rooms;
using Chat.Search;
using Chat.Server.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Search (CONTRACT.md §6). Public, as history is.</summary>
public static class SearchEndpoints
{
    public static IEndpointRouteBuilder MapSearchEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", SearchAsync).WithName("Search").WithTags("Search");
        return app;
    }

    /// <summary>
    /// 200 <c>{"messages": [MESSAGE + room_slug], "has_more"}</c>, newest first; 422 for an
    /// empty <c>q</c> or a limit outside 1–100; 404 for a <c>room</c> that names no room.
    /// </summary>
    private static async Task<Results<Ok<SearchResponse>, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> SearchAsync(
        string? q, string? room, long? before, int? limit, RoomService rooms, SearchService search, CancellationToken cancellationToken)
    {
        long? roomId = null;
        if (!string.IsNullOrEmpty(room))
        {
            if (await rooms.FindAsync(room, cancellationToken) is not { } found)
            {
                return HttpResults.RoomNotFound();
            }

            roomId = found.Id;
        }

        var result = await search.SearchAsync(new SearchRequest(q, roomId, before, limit), cancellationToken);
        return result.ToHttp(page => TypedResults.Ok(new SearchResponse(page.Messages, page.HasMore)));
    }
}
