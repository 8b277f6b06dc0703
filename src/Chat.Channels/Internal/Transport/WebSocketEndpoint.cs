using System.Net.WebSockets;
using Chat.Channels.Internal.Serialization;
using Microsoft.AspNetCore.Http;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The HTTP side of <c>/socket/websocket</c>: picks the serializer, checks the origin, finds the
/// token, asks the socket handler, and only then upgrades. Every refusal is an HTTP 403
/// with no socket, which phoenix.js treats as a failed connection and retries with backoff.
/// </summary>
internal sealed class WebSocketEndpoint(SocketHandler handler, ChannelsRuntime runtime, SocketRegistry registry)
{
    private const string PhoenixSubprotocol = "phoenix";
    private const string AuthTokenPrefix = "base64url.bearer.phx.";

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var serializer = MessageSerializer.ForVersion(context.Request.Query["vsn"]);
        if (serializer is null)
        {
            Refuse(context, "unsupported vsn");
            return;
        }

        if (!OriginPolicy.IsAllowed(context.Request, runtime.Options.AllowedOrigins))
        {
            Refuse(context, "origin not allowed");
            return;
        }

        if (!TryReadSubprotocols(context.Request, out var authToken, out var offersPhoenix))
        {
            Refuse(context, "unreadable auth token");
            return;
        }

        var parameters = context.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var request = new ConnectRequest(parameters, authToken, context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent);
        var result = await handler.ConnectAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (!result.IsAccepted)
        {
            Refuse(context, "connect refused");
            return;
        }

        if (registry.IsShuttingDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = offersPhoenix ? PhoenixSubprotocol : null,
            // Clients send heartbeats and the supervisor sweeps idle sockets; protocol-level
            // pings would add a timer to every socket for nothing.
            KeepAliveInterval = TimeSpan.Zero,
        }).ConfigureAwait(false);

        var session = new WebSocketSession(socket, runtime);
        var connection = new SocketConnection(runtime, handler, serializer, result, session);
        ChannelsLog.SocketConnected(runtime.Logger, connection.Id, serializer.GetType().Name);
        registry.Add(session);
        try
        {
            await session.RunAsync(connection, registry).ConfigureAwait(false);
        }
        finally
        {
            registry.Remove(session);
        }
    }

    private void Refuse(HttpContext context, string reason)
    {
        ChannelsLog.SocketRefused(runtime.Logger, reason);
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
}
