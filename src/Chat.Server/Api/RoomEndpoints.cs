using Chat.Rooms;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Rooms over HTTP (CONTRACT.md §2), for integrations. Reads are public; creating one needs a token.</summary>
public static class RoomEndpoints
{
    public static IEndpointRouteBuilder MapRoomEndpoints(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms").WithTags("Rooms");
        rooms.MapGet("/", ListAsync).WithName("ListRooms");
        rooms.MapPost("/", CreateAsync).WithName("CreateRoom").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.RoomCreations);
        rooms.MapGet("/{slug}", GetAsync).WithName("GetRoom");
        return app;
    }

    /// <summary>A page of rooms by name (CONTRACT.md §2): <c>limit</c> 1–200, 100 by default; <c>after</c> the last slug of the page before.</summary>
    private static async Task<Results<Ok<RoomsResponse>, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> ListAsync(
        string? after, int? limit, RoomService rooms, CancellationToken cancellationToken) =>
        (await rooms.ListAsync(new RoomListRequest(after, limit), cancellationToken)).ToHttp(page => TypedResults.Ok(new RoomsResponse(page)));

    // A signed token is not enough: it must name a user (CurrentUser), as it must to post a message.
    private static async Task<Results<Created<RoomResponse>, UnprocessableEntity<ErrorsResponse>>> CreateAsync(
        RoomRequest body, CurrentUser current, RoomService rooms, CancellationToken cancellationToken)
    {
        var result = await rooms.CreateAsync(body.Name, body.Description, cancellationToken);
        return result.IsOk
            ? TypedResults.Created($"/api/rooms/{result.Value!.Slug}", new RoomResponse(result.Value))
            : TypedResults.UnprocessableEntity(ErrorsResponse.From(result.Errors!));
    }

    private static async Task<Results<Ok<RoomResponse>, NotFound>> GetAsync(string slug, RoomService rooms, CancellationToken cancellationToken) =>
        await rooms.FindAsync(slug, cancellationToken) is { } room ? TypedResults.Ok(new RoomResponse(room)) : TypedResults.NotFound();
}
