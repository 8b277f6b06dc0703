using Microsoft.AspNetCore.Http;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// Cross-site WebSocket hijacking protection: a browser page may open a socket only from an
/// allowed origin. Requests without an <c>Origin</c> header do not come from a browser page.
/// </summary>
internal static class OriginPolicy
{
    public static bool IsAllowed(HttpRequest request, IList<string> allowedOrigins)
    {
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }

        if (allowedOrigins.Count == 0)
        {
            // The server's own origin: the page that was served by this host.
            return string.Equals(originUri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var allowed in allowedOrigins)
        {
            if (allowed == "*"
                || (Uri.TryCreate(allowed, UriKind.Absolute, out var allowedUri)
                    && string.Equals(allowedUri.Scheme, originUri.Scheme, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(allowedUri.Authority, originUri.Authority, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
