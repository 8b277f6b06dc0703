using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Chat.Server.Configuration;

/// <summary>
/// The <c>Chat:ForwardedHeaders</c> section: which reverse proxies are believed when they say,
/// in <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c>, who the client is and which host it
/// asked for. Behind nginx that is what the origin check, the logs and the rate limits must see;
/// from anyone else the headers are ignored, since a client could write them itself.
/// </summary>
public sealed class ForwardedHeadersSettings : IValidatableObject
{
    public const string Section = "Chat:ForwardedHeaders";

    private static readonly string[] Loopback = ["127.0.0.0/8", "::1"];

    /// <summary>
    /// Addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/8</c>) of the proxies in front of the
    /// server. Unset: loopback only, for a proxy on the same machine. Empty (<c>[]</c> in JSON):
    /// no proxy is believed.
    /// </summary>
    public string[]? KnownProxies { get; set; }

    /// <summary>How many proxies in a chain are read, from the server outwards.</summary>
    [Range(1, 10, ErrorMessage = "must be between {1} and {2}")]
    public int ForwardLimit { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var entry in KnownProxies ?? [])
        {
            if (!IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
            {
                yield return new ValidationResult($"must hold IP addresses or networks such as 10.0.0.0/8; \"{entry}\" is neither", [nameof(KnownProxies)]);
            }
        }
    }

    /// <summary>Applies these settings to ASP.NET Core's forwarded-headers middleware.</summary>
    public void ApplyTo(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        options.ForwardLimit = ForwardLimit;
        // The defaults (loopback) are replaced, not added to, so that "[]" believes no one.
        options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list still holds the loopback default
        options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
        options.KnownProxies.Clear();
        foreach (var entry in KnownProxies ?? Loopback)
        {
            if (IPAddress.TryParse(entry, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else if (IPNetwork.TryParse(entry, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
        }
    }
}
