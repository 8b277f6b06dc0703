using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Chat.Channels.Internal.Serialization;
using Microsoft.AspNetCore.Http;

namespace Chat.Channels.Internal.Transport.LongPoll;

/// <summary>
/// <c>/socket/longpoll</c>, as Phoenix serves it and phoenix.js's <c>LongPoll</c> speaks it. A GET
/// without a session connects (the same checks as a WebSocket: serializer, origin, the handler's
/// connect) and answers status 410 with the session's token; a GET with one waits for frames
/// (200 with them, 204 after the window without). A POST carries client frames, one per line
/// (<c>application/x-ndjson</c>), answered 200 once they are queued. The status travels in a
/// 200 body, <c>{"status": 410, "token": …, "messages": […]}</c>, and 403 refuses a connect.
/// </summary>
/// <remarks>
/// The session token comes in the <c>X-Phoenix-Longpoll-Token</c> header or as the last
/// <c>token</c> query parameter: phoenix.js appends it after the socket's own params, which may
/// hold a <c>token</c> of their own (the user's), read as the first.
/// </remarks>
internal sealed class LongPollEndpoint(SocketHandler handler, ChannelsRuntime runtime, SocketRegistry registry, LongPollSessions sessions, SocketQuotas quotas)
{
    private const string SessionHeader = "X-Phoenix-Longpoll-Token";
    private const string AuthTokenHeader = "X-Phoenix-AuthToken";
    private const int MaxBatch = 100;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(HttpContext context)
    {
        // Origins are checked below, as for WebSockets; CORS only lets a page on another
        // allowed origin read the answers.
        context.Response.Headers.AccessControlAllowOrigin = "*";
        if (!OriginPolicy.IsAllowed(context.Request, runtime.Options.AllowedOrigins))
        {
            await RefuseAsync(context, "origin not allowed", null).ConfigureAwait(false);
            return;
        }

        switch (context.Request.Method)
        {
            case "OPTIONS":
                AnswerPreflight(context);
                return;
            case "GET":
                if (sessions.Find(SessionToken(context.Request)) is { } polled)
                {
                    await PollAsync(context, polled).ConfigureAwait(false);
                }
                else
                {
                    await ConnectAsync(context).ConfigureAwait(false);
                }

                return;
            case "POST":
                if (sessions.Find(SessionToken(context.Request)) is { } posted)
                {
                    await PublishAsync(context, posted).ConfigureAwait(false);
                }
                else
                {
                    await WriteStatusAsync(context, StatusCodes.Status410Gone).ConfigureAwait(false);
                }

                return;
            default:
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
        }
    }

    private async Task ConnectAsync(HttpContext context)
    {
        var span = ChannelsMetrics.Source.StartActivity("chat.socket.connect");
        span?.SetTag("chat.transport", ChannelsMetrics.LongPoll);
        try
        {
            var request = context.Request;
            var serializer = MessageSerializer.ForVersion(request.Query["vsn"].FirstOrDefault());
            if (serializer is null)
            {
                await RefuseAsync(context, "unsupported vsn", span).ConfigureAwait(false);
                return;
            }

            // The first value of each parameter: a later "token" is the session's, not the user's.
            var parameters = request.Query.ToDictionary(p => p.Key, p => p.Value.FirstOrDefault() ?? "", StringComparer.Ordinal);
            var authToken = request.Headers[AuthTokenHeader].FirstOrDefault();
            var connect = new ConnectRequest(parameters, authToken, context.Connection.RemoteIpAddress, request.Headers.UserAgent);
            var result = await handler.ConnectAsync(connect, context.RequestAborted).ConfigureAwait(false);
            if (!result.IsAccepted)
            {
                await RefuseAsync(context, "connect refused", span).ConfigureAwait(false);
                return;
            }

            var (claim, refusal) = await quotas.TryClaimAsync(result.Id, ClientAddress.Key(context.Connection.RemoteIpAddress), runtime.Options).ConfigureAwait(false);
            if (claim is null)
            {
                ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(refusal!));
                ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, refusal!);
                // As below: a status phoenix.js's LongPoll retries after (it throws on a 429).
                await WriteStatusAsync(context, StatusCodes.Status500InternalServerError).ConfigureAwait(false);
                return;
            }

            if (sessions.IsStopping || !registry.TryReserve(runtime.Options.MaxSockets))
            {
                claim.Dispose();
                var reason = sessions.IsStopping ? "shutting down" : "too many sockets";
                ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(reason));
                ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, reason);
                // phoenix.js takes 500 as a failure and retries later (503 is not a status it knows).
                await WriteStatusAsync(context, StatusCodes.Status500InternalServerError).ConfigureAwait(false);
                return;
            }

            var session = sessions.Create();
            session.Connection = new SocketConnection(runtime, handler, serializer, result, session);
            span?.SetTag("chat.socket_id", result.Id);
            ChannelsLog.SocketConnected(runtime.Logger, result.Id, ChannelsMetrics.LongPoll, context.Connection.RemoteIpAddress, serializer.GetType().Name);
            _ = sessions.RunAsync(session, claim);
            // 410 with a token is how Phoenix says "connected": the client opens and polls.
            await WriteStatusAsync(context, StatusCodes.Status410Gone, session.Id, []).ConfigureAwait(false);
        }
        finally
        {
            span?.Dispose();
        }
    }

    private async Task PollAsync(HttpContext context, LongPollSession session)
    {
        var frames = await session.PollAsync(runtime.Options.LongPollWindow, context.RequestAborted).ConfigureAwait(false);
        if (frames is null)
        {
            // Closed meanwhile (a disconnect, a restart): the client reconnects and rejoins.
            await WriteStatusAsync(context, StatusCodes.Status410Gone).ConfigureAwait(false);
            return;
        }

        await WriteStatusAsync(context, frames.Count == 0 ? StatusCodes.Status204NoContent : StatusCodes.Status200OK, session.Id, frames).ConfigureAwait(false);
    }

    private async Task PublishAsync(HttpContext context, LongPollSession session)
    {
        session.Touch();
        var maxFrame = runtime.Options.MaxFrameBytes;
        var body = await ReadBodyAsync(context.Request, (long)(maxFrame + 2) * MaxBatch, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge).ConfigureAwait(false);
            return;
        }

        var ndjson = context.Request.ContentType?.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) == true;
        var lines = ndjson ? body.Split('\n').Take(MaxBatch).Select(line => line.TrimEnd('\r')) : [body];
        var connection = session.Connection;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                continue;
            }

            InboundMessage message;
            try
            {
                var isText = !ndjson || line[0] is '[' or '{';
                var bytes = isText ? System.Text.Encoding.UTF8.GetBytes(line) : Convert.FromBase64String(line);
                if (bytes.Length > maxFrame)
                {
                    throw new FrameDecodeException(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, $"frames are limited to {maxFrame} bytes");
                }

                message = connection.Serializer.Decode(bytes, isBinary: !isText);
            }
            catch (Exception ex) when (ex is FrameDecodeException or FormatException)
            {
                // As over a WebSocket, a frame that cannot be read ends this client's session only.
                session.Close(ex is FrameDecodeException decode ? decode.CloseStatus : System.Net.WebSockets.WebSocketCloseStatus.InvalidPayloadData, ex.Message);
                await WriteStatusAsync(context, StatusCodes.Status400BadRequest).ConfigureAwait(false);
                return;
            }

            try
            {
                await connection.HandleAsync(message).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The session closed while this post waited for room: the client reconnects.
                await WriteStatusAsync(context, StatusCodes.Status410Gone).ConfigureAwait(false);
                return;
            }
        }

        await WriteStatusAsync(context, StatusCodes.Status200OK).ConfigureAwait(false);
    }

    /// <summary>The body as text, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The session's token: the header phoenix.js may send, else the last <c>token</c> parameter.</summary>
    private static string? SessionToken(HttpRequest request) =>
        request.Headers[SessionHeader].FirstOrDefault() ?? request.Query["token"].LastOrDefault();

    private static void AnswerPreflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.ToString();
        headers.AccessControlAllowMethods = "get, post, options";
        headers.AccessControlMaxAge = "3600";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task RefuseAsync(HttpContext context, string reason, System.Diagnostics.Activity? span)
    {
        ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(reason));
        ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, reason);
        span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason);
        await WriteStatusAsync(context, StatusCodes.Status403Forbidden).ConfigureAwait(false);
    }

    /// <summary>Phoenix's answer: always HTTP 200, the status in the body, never cached.</summary>
    private static async Task WriteStatusAsync(HttpContext context, int status, string? token = null, List<OutboundFrame>? messages = null)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        // The poll URL is the same for every session when the token is in a header.
        response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(response.BodyWriter, JsonOptions);
        json.WriteStartObject();
        json.WriteNumber("status", status);
        if (messages is not null)
        {
            json.WriteString("token", token);
            json.WriteStartArray("messages");
            foreach (var frame in messages)
            {
                json.WriteStringValue(frame.Data.Span);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
