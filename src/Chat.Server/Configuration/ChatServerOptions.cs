using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Configuration;

/// <summary>The keys directly under <c>Chat</c> (CONTRACT.md §0): where this node keeps its files, and which pages may open sockets.</summary>
public sealed class ChatServerOptions : IValidatableObject
{
    public const string Section = "Chat";

    /// <summary>
    /// Where the SQLite file, the generated signing key and the control socket live. Read here
    /// and nowhere else: everything that needs a file in it asks this class.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "must name a directory")]
    public string DataDir { get; set; } = "./data";

    /// <summary>
    /// Origins whose pages may open a socket (<c>https://chat.example.com</c>), or <c>*</c>; empty
    /// means the server's own origin. A list, or one comma-separated string (handy in an
    /// environment variable).
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Reads <c>Chat:AllowedOrigins</c> given as one string, which the binder leaves alone.</summary>
    internal static void ReadOriginList(ChatServerOptions options, IConfiguration configuration)
    {
        if (options.AllowedOrigins.Length == 0 && configuration[Section + ":" + nameof(AllowedOrigins)] is { } list)
        {
            options.AllowedOrigins = list.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }

    /// <summary>Where a file of this node lives.</summary>
    public string PathInDataDir(string fileName) => Path.Combine(DataDir, fileName);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var origin in AllowedOrigins)
        {
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && uri.Query.Length == 0))
            {
                yield return new ValidationResult(
                    $"must hold origins such as https://chat.example.com (scheme, host and port, no path), or *; \"{origin}\" is not one",
                    [nameof(AllowedOrigins)]);
            }
        }
    }
}
