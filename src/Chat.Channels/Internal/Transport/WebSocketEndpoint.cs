using System.IO.Pipelines;
using Chat.Channels.Internal.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The HTTP side of <c>/socket/websocket</c>: picks the serializer, checks the origin, finds the
/// token, asks the socket handler, and only then upgrades. A refused client gets no socket: HTTP
/// 403, or 429 when its user or address already holds its share of sockets
/// (<see cref="SocketQuotas"/>); phoenix.js treats either as a failed connection and retries
/// with backoff.
/// </summary>
/// <remarks>
/// After the upgrade the socket is served by <see cref="WebSocketSession"/> on the connection's
/// own pipes, taken over from Kestrel's HTTP layer when <see cref="ConnectionHandoff"/> is
/// installed on the listener (the request and its objects are then freed), and otherwise on
/// the upgraded stream (another server, TLS inside the handoff, WebSockets over HTTP/2).
/// </remarks>
internal sealed class WebSocketEndpoint(SocketHandler handler, ChannelsRuntime runtime, SocketRegistry registry, SocketQuotas quotas)
{
    private const string PhoenixSubprotocol = "phoenix";
    private const string AuthTokenPrefix = "base64url.bearer.phx.";

    public async Task HandleAsync(HttpContext context)
    {
        var extendedConnect = context.Features.Get<IHttpExtendedConnectFeature>();
        var overHttp2 = extendedConnect is { IsExtendedConnect: true, Protocol: "websocket" };
        var key = "";
        if (!overHttp2 && !WebSocketHandshake.IsWebSocketRequest(context.Request, out key))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // Connecting, up to the upgrade: the socket's life afterwards is not part of this span.
        var span = ChannelsMetrics.Source.StartActivity("chat.socket.connect");
        span?.SetTag("chat.transport", ChannelsMetrics.WebSocket);
        var serializer = MessageSerializer.ForVersion(context.Request.Query["vsn"]);
        if (serializer is null)
        {
            Refuse(context, "unsupported vsn", span);
            return;
        }

        if (!OriginPolicy.IsAllowed(context.Request, runtime.Options.AllowedOrigins))
        {
            Refuse(context, "origin not allowed", span);
            return;
        }

        if (!TryReadSubprotocols(context.Request, out var authToken, out var offersPhoenix))
        {
            Refuse(context, "unreadable auth token", span);
            return;
        }

        var parameters = context.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var request = new ConnectRequest(parameters, authToken, context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent);
        var result = await handler.ConnectAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (!result.IsAccepted)
        {
            Refuse(context, "connect refused", span);
            return;
        }

        var (claim, refusal) = await quotas.TryClaimAsync(result.Id, ClientAddress.Key(context.Connection.RemoteIpAddress), runtime.Options).ConfigureAwait(false);
        if (claim is null)
        {
            ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(refusal!));
            ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, refusal!);
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, refusal);
            span?.Dispose();
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }

        if (registry.IsShuttingDown || !registry.TryReserve(runtime.Options.MaxSockets))
        {
            claim.Dispose();
            var reason = registry.IsShuttingDown ? "shutting down" : "too many sockets";
            ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(reason));
            ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, reason);
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason);
            span?.Dispose();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        span?.SetTag("chat.socket_id", result.Id);
        var remoteIp = context.Connection.RemoteIpAddress;

        var reserved = true;
        try
        {
            var subProtocol = offersPhoenix ? PhoenixSubprotocol : null;
            var handoff = overHttp2 ? null : ConnectionHandoff.For(context);
            if (handoff is not null)
            {
                // The socket outlives this request: Kestrel's request timeouts must not apply.
                DisableRequestTimeouts(context);
                WebSocketHandshake.SetResponseHeaders(context.Response, key, subProtocol);
                await context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync().ConfigureAwait(false);
                reserved = false;
                span?.Dispose();
                handoff.TakeOver(kestrelConnection => RunAsync(serializer, result, claim, kestrelConnection.Transport, kestrelConnection.Abort, remoteIp));
                return;
            }

            Stream stream;
            if (overHttp2)
            {
                if (subProtocol is not null)
                {
                    context.Response.Headers.SecWebSocketProtocol = subProtocol;
                }

                stream = await extendedConnect!.AcceptAsync().ConfigureAwait(false);
            }
            else
            {
                DisableRequestTimeouts(context);
                WebSocketHandshake.SetResponseHeaders(context.Response, key, subProtocol);
                stream = await context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync().ConfigureAwait(false);
            }

            reserved = false;
            span?.Dispose();
            var pipe = new StreamDuplexPipe(stream);
            await RunAsync(serializer, result, claim, pipe, context.Abort, remoteIp).ConfigureAwait(false);
        }
        finally
        {
            span?.Dispose();
            if (reserved)
            {
                registry.Release();
                claim.Dispose();
            }
        }
    }

    private Task RunAsync(MessageSerializer serializer, ConnectResult result, IDisposable claim, IDuplexPipe transport, Action abort, System.Net.IPAddress? remoteIp)
    {
        // Set up here, not in the async method below, whose frame lives as long as the socket:
        // what is only needed to start it (the connect result, the address) is not kept.
        var session = new WebSocketSession(transport, abort, runtime);
        var connection = new SocketConnection(runtime, handler, serializer, result, session);
        ChannelsLog.SocketConnected(runtime.Logger, connection.Id, ChannelsMetrics.WebSocket, remoteIp, connection.Serializer.GetType().Name);
        ChannelsMetrics.Connects.Add(1, ChannelsMetrics.Transport(ChannelsMetrics.WebSocket));
        ChannelsMetrics.ActiveSockets.Add(1, ChannelsMetrics.Transport(ChannelsMetrics.WebSocket));
        registry.Add(session);
        return session.RunAsync(connection, registry, claim);
    }

    private static void DisableRequestTimeouts(HttpContext context)
    {
        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } response)
        {
            response.MinDataRate = null;
        }

        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } body)
        {
            body.MinDataRate = null;
        }
    }

    private void Refuse(HttpContext context, string reason, System.Diagnostics.Activity? span)
    {
        ChannelsMetrics.Refusals.Add(1, ChannelsMetrics.Reason(reason));
        ChannelsLog.SocketRefused(runtime.Logger, context.Connection.RemoteIpAddress, reason);
        span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason);
        span?.Dispose();
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
    }

    /// <summary>
    /// phoenix.js sends its <c>authToken</c> as a subprotocol, <c>base64url.bearer.phx.&lt;base64&gt;</c>,
    /// beside <c>phoenix</c>; the server must answer <c>phoenix</c>, never the token.
    /// </summary>
    private static bool TryReadSubprotocols(HttpRequest request, out string? authToken, out bool offersPhoenix)
    {
        authToken = null;
        offersPhoenix = false;
        foreach (var header in request.Headers.SecWebSocketProtocol)
        {
            foreach (var entry in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (entry == PhoenixSubprotocol)
                {
                    offersPhoenix = true;
                }
                else if (entry.StartsWith(AuthTokenPrefix, StringComparison.Ordinal))
                {
                    authToken = DecodeToken(entry.AsSpan(AuthTokenPrefix.Length));
                    if (authToken is null)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static string? DecodeToken(ReadOnlySpan<char> encoded)
    {
        // phoenix.js uses btoa() and strips the padding; accept the URL-safe alphabet too.
        Span<char> normalized = stackalloc char[encoded.Length + 3];
        var length = 0;
        foreach (var c in encoded)
        {
            normalized[length++] = c switch { '-' => '+', '_' => '/', _ => c };
        }

        while (length % 4 != 0)
        {
            normalized[length++] = '=';
        }

        var bytes = new byte[length];
        return Convert.TryFromBase64Chars(normalized[..length], bytes, out var written)
            && System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, written))
            ? System.Text.Encoding.UTF8.GetString(bytes, 0, written)
            : null;
    }

    /// <summary>The upgraded stream as pipes, reading with zero-byte reads so an idle socket holds no buffer.</summary>
    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, useZeroByteReads: true));

        public PipeWriter Output { get; } = PipeWriter.Create(stream);
    }
}
