using System.CommandLine;

namespace Chat.Server.Cli;

/// <summary>
/// The configuration given on the command line, which every command takes as the server does
/// (<c>--Chat:DataDir=/var/lib/chat</c>): the tokens no option of the command claimed. A token
/// that is not configuration is an error, so a misspelt option never passes silently.
/// </summary>
internal static class ConfigurationArguments
{
    // The host's own keys, which have no section (ASP.NET Core's WebHostDefaults and HostDefaults),
    // and the sections themselves, which the test host passes as --Chat= before their keys.
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Chat", "ConnectionStrings", "Logging", "Kestrel",
        "urls", "http_ports", "https_ports", "environment", "contentRoot", "applicationName", "webroot",
        "AllowedHosts", "detailedErrors", "shutdownTimeoutSeconds", "captureStartupErrors", "suppressStatusMessages",
        "preventHostingStartup", "hostingStartupAssemblies", "hostingStartupExcludeAssemblies", "pathBase",
    };

    /// <summary>The configuration arguments of a parse, in the form the host's command-line provider reads.</summary>
    public static string[] Of(ParseResult parse) => [.. parse.UnmatchedTokens];

    /// <summary>
    /// Why the unclaimed tokens are not configuration, or nothing. Serving takes <c>--Key value</c>
    /// too; a command takes only <c>--Key=value</c>, since there a bare value could be meant for
    /// one of its own arguments.
    /// </summary>
    public static IEnumerable<string> Errors(ParseResult parse)
    {
        var serving = parse.CommandResult.Command is RootCommand;
        var tokens = parse.UnmatchedTokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var prefix = token.StartsWith("--", StringComparison.Ordinal) ? 2 : token.StartsWith('/') ? 1 : 0;
            if (prefix == 0)
            {
                yield return $"Unrecognized argument '{token}'.";
                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? token[prefix..] : token[prefix..equals];
            if (!key.Contains(':', StringComparison.Ordinal) && !HostKeys.Contains(key))
            {
                yield return $"Unrecognized option '{token}' (configuration keys are written --Section:Key=value).";
                continue;
            }

            if (equals < 0)
            {
                if (!serving)
                {
                    yield return $"Write configuration as {token}=VALUE for a command.";
                }
                else if (i + 1 == tokens.Count)
                {
                    yield return $"The configuration key {token} has no value.";
                }

                i++; // its value
            }
        }
    }
}
