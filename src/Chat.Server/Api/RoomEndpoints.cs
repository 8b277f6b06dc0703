using System.Security.Claims;
using Chat.Server.Auth;
using Chat.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Server.Api;

/// <summary>Rooms and messages over HTTP (CONTRACT.md §2), for integrations. Reads are public; writes need a token.</summary>
public static class RoomEndpoints
{
    public static IEndpointRouteBuilder MapRoomEndpoints(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms").WithTags("Rooms");
        rooms.MapGet("/", ListAsync).WithName("ListRooms");
        rooms.MapPost("/", CreateAsync).WithName("CreateRoom").RequireAuthorization();
        rooms.MapGet("/{slug}", GetAsync).WithName("GetRoom");
        rooms.MapGet("/{slug}/messages", HistoryAsync).WithName("ListMessages");
        rooms.MapPost("/{slug}/messages", PostMessageAsync).WithName("PostMessage").RequireAuthorization();
        return app;
    }

    private static async Task<Ok<RoomsResponse>> ListAsync(ChatService chat, CancellationToken cancellationToken) =>
        TypedResults.Ok(new RoomsResponse(await chat.ListRoomsAsync(cancellationToken)));

    private static async Task<Results<Created<RoomResponse>, UnprocessableEntity<ErrorsResponse>, UnauthorizedHttpResult>> CreateAsync(
        RoomRequest body, ClaimsPrincipal principal, ChatService chat, CancellationToken cancellationToken)
    {
        // A signed token is not enough: it must name a user, as it must to post a message.
        if (TokenService.FromClaims(principal.Identity as ClaimsIdentity) is null)
        {
            return TypedResults.Unauthorized();
        }

        var result = await chat.CreateRoomAsync(body.Name, body.Description, cancellationToken);
        return result.IsOk
            ? TypedResults.Created($"/api/rooms/{result.Value!.Slug}", new RoomResponse(result.Value))
            : TypedResults.UnprocessableEntity(ErrorsResponse.From(result.Errors!));
    }

    private static async Task<Results<Ok<RoomResponse>, NotFound>> GetAsync(string slug, ChatService chat, CancellationToken cancellationToken) =>
        await chat.GetRoomAsync(slug, cancellationToken) is { } room ? TypedResults.Ok(new RoomResponse(room)) : TypedResults.NotFound();

    private static async Task<Results<Ok<MessagesResponse>, NotFound, UnprocessableEntity<ErrorsResponse>>> HistoryAsync(
        string slug, long? before, long? after, int? limit, ChatService chat, CancellationToken cancellationToken)
    {
        // An unknown room is 404 whatever the query says.
        if (await chat.GetRoomAsync(slug, cancellationToken) is not { } room)
        {
            return TypedResults.NotFound();
        }

        var errors = new FieldErrors();
        if (limit is < 1)
        {
            errors.Add("limit", "must be greater than or equal to 1");
        }
        else if (limit > ChatService.MaxHistoryLimit)
        {
            errors.Add("limit", $"must be less than or equal to {ChatService.MaxHistoryLimit}");
        }

        if (!errors.IsEmpty)
        {
            return TypedResults.UnprocessableEntity(ErrorsResponse.From(errors));
        }

        var page = await chat.ListMessagesAsync(room.Id, new HistoryRequest(before, after, limit ?? HistoryRequest.DefaultLimit), cancellationToken);
        return TypedResults.Ok(new MessagesResponse(page.Messages, page.HasMore));
    }

    private static async Task<Results<Created<MessageResponse>, NotFound, UnprocessableEntity<ErrorsResponse>, UnauthorizedHttpResult, JsonHttpResult<ErrorResponse>>> PostMessageAsync(
        string slug, MessageRequest body, ClaimsPrincipal principal, ChatService chat, CancellationToken cancellationToken)
    {
        if (TokenService.FromClaims(principal.Identity as ClaimsIdentity) is not { } author)
        {
            return TypedResults.Unauthorized();
        }

        if (await chat.GetRoomAsync(slug, cancellationToken) is not { } room)
        {
            return TypedResults.NotFound();
        }

        var result = await chat.CreateMessageAsync(room, author, body.Content, body.ClientId, cancellationToken: cancellationToken);
        if (result.Errors is { } errors)
        {
            return TypedResults.UnprocessableEntity(ErrorsResponse.From(errors));
        }

        if (result.Failure is { } failure)
        {
            return TypedResults.Json(new ErrorResponse(failure), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var message = result.Value!.Message;
        return TypedResults.Created($"/api/rooms/{slug}/messages?after={message.Id - 1}&limit=1", new MessageResponse(message));
    }
}
