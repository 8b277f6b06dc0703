using System.CommandLine;
using Chat.Server.Configuration;

namespace Chat.Server.Cli;

/// <summary>
/// The executable's command line. With no command it serves the chat; with one, it runs an
/// admin task on the same configuration and exits: <c>Chat.Server users create alice</c>,
/// or <c>dotnet run --project src/Chat.Server -- users create alice</c>.
/// </summary>
public static class ChatCommandLine
{
    /// <summary>The exit code for a configuration the server cannot run with (sysexits' EX_CONFIG), which a supervisor should not retry.</summary>
    public const int ConfigurationError = 78;

    /// <summary>The exit code for a command line that does not parse.</summary>
    public const int UsageError = 2;

    public static async Task<int> InvokeAsync(string[] args, Func<string[], Task<int>> serve)
    {
        var root = new RootCommand(
            "The chat server. Without a command it serves the chat. Every command reads the same configuration as the " +
            "server (appsettings.json, Chat__… environment variables, --Section:Key=value arguments) and exits.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.SetAction((parse, _) => serve(ConfigurationArguments.Of(parse)));
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(UserCommands.Create());
        root.Subcommands.Add(RoomCommands.Create());
        root.Subcommands.Add(TokenCommands.Create());
        root.Subcommands.Add(DisconnectUserCommand.Create());
        root.Subcommands.Add(RoomArchiveCommands.CreateExport());
        root.Subcommands.Add(RoomArchiveCommands.CreateImport());
        root.Subcommands.Add(StatsCommand.Create());

        // No response files: an argument starting with @ is a value, not a file to read.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var errors = parse.Errors.Select(e => e.Message).Concat(ConfigurationArguments.Errors(parse)).ToList();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync("error: " + error).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"See '{HelpFor(parse)} --help'.").ConfigureAwait(false);
            return UsageError;
        }

        try
        {
            // Exceptions are not caught here: the test host stops the entry point with one. And
            // signals are the host's: it stops gracefully on SIGTERM, which can take longer
            // than System.CommandLine would wait before ending the process.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null })
                .ConfigureAwait(false);
        }
        catch (InvalidConfigurationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ConfigurationError;
        }
    }

    private static string HelpFor(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "Chat.Server" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
