using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Chat.Channels;

/// <summary>The key that limits per client address count by.</summary>
public static class ClientAddress
{
    /// <summary>The key of requests without a known address (a test server, a Unix socket).</summary>
    public const string Unknown = "unknown";

    /// <summary>
    /// An IPv4 address as it is; an IPv6 address by its /64 network, since one subscriber is
    /// routinely given a whole /64 and could otherwise take a fresh address per request.
    /// Behind a trusted proxy, pass the address the proxy forwarded.
    /// </summary>
    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/64");
    }
}
