using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The HTTP/1.1 opening handshake of RFC 6455 §4.2, done by hand because the socket is served
/// by this library's own framing, not by <see cref="System.Net.WebSockets.WebSocket"/>.
/// </summary>
internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>A GET that asks to upgrade to WebSocket version 13 with a well-formed key.</summary>
    public static bool IsWebSocketRequest(HttpRequest request, out string key)
    {
        key = request.Headers.SecWebSocketKey.ToString();
        return HttpMethods.IsGet(request.Method)
            && HasToken(request.Headers.Connection, "upgrade")
            && HasToken(request.Headers.Upgrade, "websocket")
            && request.Headers.SecWebSocketVersion.ToString() == "13"
            && IsValidKey(key);
    }

    /// <summary>Sets the 101 response's headers; the caller then completes the upgrade.</summary>
    public static void SetResponseHeaders(HttpResponse response, string key, string? subProtocol)
    {
        response.Headers.Connection = "Upgrade";
        response.Headers.Upgrade = "websocket";
        response.Headers.SecWebSocketAccept = AcceptFor(key);
        if (subProtocol is not null)
        {
            response.Headers.SecWebSocketProtocol = subProtocol;
        }
    }

    /// <summary>base64(SHA-1(key + GUID)), which proves to the client that this server speaks WebSocket.</summary>
    public static string AcceptFor(string key)
    {
        Span<byte> input = stackalloc byte[64];
        var length = Encoding.ASCII.GetBytes(key, input);
        length += Encoding.ASCII.GetBytes(AcceptGuid, input[length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..length], hash);
        return Convert.ToBase64String(hash);
    }

    private static bool IsValidKey(string key)
    {
        // A base64 encoding of 16 bytes: 24 characters.
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    private static bool HasToken(Microsoft.Extensions.Primitives.StringValues values, string token)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(part, token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
