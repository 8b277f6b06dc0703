using Chat.ReadMarkers;
using Chat.Rooms;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Read markers and unread counts over HTTP (CONTRACT.md §5), for the signed-in user.</summary>
public static class ReadMarkerEndpoints
{
    public static IEndpointRouteBuilder MapReadMarkerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me/unread", UnreadAsync).WithName("Unread").WithTags("Read markers").RequireAuthorization();
        app.MapPut("/api/rooms/{slug}/read", MarkReadAsync).WithName("MarkRead").WithTags("Read markers").RequireAuthorization();
        return app;
    }

    private static async Task<Ok<UnreadResponse>> UnreadAsync(CurrentUser current, ReadMarkerService markers, CancellationToken cancellationToken) =>
        TypedResults.Ok(new UnreadResponse(await markers.ListUnreadAsync(current.User.Id, cancellationToken)));

    /// <summary>Moves the marker forwards (never back): 204; 422 when the id is not a message of the room.</summary>
    private static async Task<Results<NoContent, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> MarkReadAsync(
        string slug, MessageIdRequest body, CurrentUser current, RoomService rooms, ReadMarkerService markers, CancellationToken cancellationToken)
    {
        if (await rooms.FindAsync(slug, cancellationToken) is not { } room)
        {
            return HttpResults.RoomNotFound();
        }

        return (await markers.MarkReadAsync(room, current.User, body.Id, cancellationToken)).ToHttp(_ => TypedResults.NoContent());
    }
}
