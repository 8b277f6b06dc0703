using Chat.Messages;
using Chat.Rooms;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>
/// A room's messages over HTTP (CONTRACT.md §2), for integrations: the same rules and the
/// same broadcasts as over a socket. Reads are public; writes need a token. An unknown room
/// is 404 whatever else the request says.
/// </summary>
public static class MessageEndpoints
{
    public static IEndpointRouteBuilder MapMessageEndpoints(this IEndpointRouteBuilder app)
    {
        var messages = app.MapGroup("/api/rooms/{slug}/messages").WithTags("Messages");
        messages.MapGet("/", HistoryAsync).WithName("ListMessages");
        messages.MapPost("/", PostAsync).WithName("PostMessage").RequireAuthorization();
        return app;
    }

    private static async Task<Results<Ok<MessagesResponse>, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> HistoryAsync(
        string slug, long? before, long? after, int? limit, RoomService rooms, MessageService messages, CancellationToken cancellationToken)
    {
        if (await rooms.FindAsync(slug, cancellationToken) is not { } room)
        {
            return HttpResults.RoomNotFound();
        }

        var result = await messages.ListAsync(room.Id, new HistoryRequest(before, after, limit), cancellationToken);
        return result.ToHttp(page => TypedResults.Ok(new MessagesResponse(page.Messages, page.HasMore)));
    }

    private static async Task<Results<Created<MessageResponse>, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> PostAsync(
        string slug, MessageRequest body, CurrentUser current, RoomService rooms, MessageService messages, CancellationToken cancellationToken)
    {
        if (await rooms.FindAsync(slug, cancellationToken) is not { } room)
        {
            return HttpResults.RoomNotFound();
        }

        var result = await messages.CreateAsync(room, current.User, body.Content, body.ClientId, cancellationToken: cancellationToken);
        return result.ToHttp(posted => TypedResults.Created(
            $"/api/rooms/{slug}/messages?after={posted.Message.Id - 1}&limit=1", new MessageResponse(posted.Message)));
    }
}
