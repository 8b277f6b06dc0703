using Chat.Messages;
using Chat.Reactions;
using Chat.Rooms;
using Chat.Server.Auth;
using Chat.Server.Contract;
using Chat.Server.Limits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>
/// A room's messages over HTTP (CONTRACT.md §2), for integrations: the same rules and the
/// same broadcasts as over a socket. Reads are public; writes need a token. An unknown room
/// is 404 whatever else the request says. Every write spends the user's message budget, the
/// one a socket's sends and changes spend too (429 with <c>Retry-After</c> past it).
/// </summary>
public static class MessageEndpoints
{
    public static IEndpointRouteBuilder MapMessageEndpoints(this IEndpointRouteBuilder app)
    {
        var messages = app.MapGroup("/api/rooms/{slug}/messages").WithTags("Messages");
        messages.MapGet("/", HistoryAsync).WithName("ListMessages");
        messages.MapPost("/", PostAsync).WithName("PostMessage").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.Messages);
        messages.MapPatch("/{id:long}", EditAsync).WithName("EditMessage").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.Messages);
        messages.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteMessage").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.Messages);
        messages.MapPut("/{id:long}/reactions/{emoji}", ReactAsync).WithName("React").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.Messages);
        messages.MapDelete("/{id:long}/reactions/{emoji}", UnreactAsync).WithName("Unreact").RequireAuthorization().RequireRateLimiting(HttpRateLimiting.Messages);
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

    /// <summary>The author changes a message: 200 with the message; 403 for another's, 404 for an unknown one or a tombstone.</summary>
    private static Task<Results<Ok<MessageResponse>, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> EditAsync(
        string slug, long id, EditMessageRequest body, CurrentUser current, RoomService rooms, MessageService messages, CancellationToken cancellationToken) =>
        ChangeAsync(slug, current.User, rooms, (room, user) => messages.EditAsync(room, user, id, body.Content, cancellationToken: cancellationToken),
            change => TypedResults.Ok(new MessageResponse(change.Message)), cancellationToken);

    /// <summary>The author deletes a message: 204, again 204 for a tombstone.</summary>
    private static Task<Results<NoContent, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> DeleteAsync(
        string slug, long id, CurrentUser current, RoomService rooms, MessageService messages, CancellationToken cancellationToken) =>
        ChangeAsync(slug, current.User, rooms, (room, user) => messages.DeleteAsync(room, user, id, cancellationToken: cancellationToken),
            _ => TypedResults.NoContent(), cancellationToken);

    /// <summary>Adds the user's reaction (the emoji URL-encoded in the path): 204, whether or not it was there.</summary>
    private static Task<Results<NoContent, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> ReactAsync(
        string slug, long id, string emoji, CurrentUser current, RoomService rooms, ReactionService reactions, CancellationToken cancellationToken) =>
        ChangeAsync(slug, current.User, rooms, (room, user) => reactions.ReactAsync(room, user, id, emoji, cancellationToken: cancellationToken),
            _ => TypedResults.NoContent(), cancellationToken);

    /// <summary>Takes the user's reaction back: 204, whether or not it was there.</summary>
    private static Task<Results<NoContent, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> UnreactAsync(
        string slug, long id, string emoji, CurrentUser current, RoomService rooms, ReactionService reactions, CancellationToken cancellationToken) =>
        ChangeAsync(slug, current.User, rooms, (room, user) => reactions.UnreactAsync(room, user, id, emoji, cancellationToken: cancellationToken),
            _ => TypedResults.NoContent(), cancellationToken);

    private static async Task<Results<TOk, UnprocessableEntity<ErrorsResponse>, ProblemHttpResult, JsonHttpResult<ErrorResponse>>> ChangeAsync<TOk>(
        string slug, ChatUser user, RoomService rooms, Func<RoomView, ChatUser, Task<ChatResult<MessageChange>>> change,
        Func<MessageChange, TOk> ok, CancellationToken cancellationToken)
        where TOk : IResult
    {
        if (await rooms.FindAsync(slug, cancellationToken) is not { } room)
        {
            return HttpResults.RoomNotFound();
        }

        return (await change(room, user)).ToHttp(ok);
    }
}
