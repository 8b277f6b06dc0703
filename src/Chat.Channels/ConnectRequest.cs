using System.Net;

namespace Chat.Channels;

/// <summary>
/// What a client presents when it opens a socket: the connect parameters from the query
/// string, and what the transport learnt about the connection (Phoenix's <c>params</c> and
/// <c>connect_info</c>). All of it is untrusted input.
/// </summary>
public sealed class ConnectRequest
{
    /// <summary>Creates a request.</summary>
    public ConnectRequest(IReadOnlyDictionary<string, string> parameters, string? authToken = null, IPAddress? remoteIpAddress = null, string? userAgent = null)
    {
        Params = parameters;
        AuthToken = authToken;
        RemoteIpAddress = remoteIpAddress;
        UserAgent = userAgent;
    }

    /// <summary>The connect parameters (phoenix.js <c>params</c>), <c>vsn</c> included.</summary>
    public IReadOnlyDictionary<string, string> Params { get; }

    /// <summary>
    /// The token phoenix.js sends with its <c>authToken</c> option, carried in the
    /// <c>Sec-WebSocket-Protocol</c> header so that it never appears in a URL or a log.
    /// </summary>
    public string? AuthToken { get; }

    /// <summary>The peer's address, as the server sees it.</summary>
    public IPAddress? RemoteIpAddress { get; }

    /// <summary>The client's <c>User-Agent</c> header.</summary>
    public string? UserAgent { get; }
}
