using System.CommandLine;
using System.Data.Common;
using Chat.Persistence;
using Chat.Server.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Console;

namespace Chat.Server.Cli;

/// <summary>What a command works with: the server's services, built from its configuration, and where to write.</summary>
internal sealed class CommandContext(IServiceProvider services, TextWriter output, TextReader input)
{
    public IServiceProvider Services { get; } = services;

    /// <summary>The command's result; logs and errors go to standard error, so this stays scriptable.</summary>
    public TextWriter Out { get; } = output;

    public TextReader In { get; } = input;

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();
}

/// <summary>A command that could not do what it was asked; the message says why, and the exit code is 1.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);

/// <summary>
/// Runs an admin command on the server's own host, built but never started: the same
/// configuration sources, the same registrations, the same validation at start.
/// </summary>
internal static class AdminHost
{
    public const int Succeeded = 0;
    public const int Failed = 1;

    /// <summary>
    /// Makes <paramref name="run"/> the command's action. Unless <paramref name="anySchema"/>,
    /// the database must already have every migration of this build: a command never changes
    /// the schema behind the operator's back, it says to run <c>migrate</c>.
    /// </summary>
    public static Command Runs(this Command command, Func<ParseResult, CommandContext, CancellationToken, Task<int>> run, bool anySchema = false)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => RunAsync(parse, run, anySchema, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, Func<ParseResult, CommandContext, CancellationToken, Task<int>> run, bool anySchema, CancellationToken cancellationToken)
    {
        var builder = ChatHost.CreateBuilder(ConfigurationArguments.Of(parse));
        // Standard output carries the command's result (a token, an archive): logs go to
        // standard error, and only warnings, whatever the server's own log levels are.
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
        await using var app = builder.Build();
        app.Services.ValidateChatConfiguration();
        try
        {
            if (!anySchema)
            {
                await RequireCurrentSchemaAsync(app.Services, cancellationToken).ConfigureAwait(false);
            }

            return await run(parse, new CommandContext(app.Services, Console.Out, Console.In), cancellationToken).ConfigureAwait(false);
        }
        catch (CommandFailedException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return Failed;
        }
        catch (DbException ex)
        {
            await Console.Error.WriteLineAsync("error: the database failed: " + ex.Message).ConfigureAwait(false);
            return Failed;
        }
    }

    private static async Task RequireCurrentSchemaAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).Count();
        if (pending > 0)
        {
            throw new CommandFailedException($"the database lacks {pending} migration(s) of this build; run 'Chat.Server migrate' first (a server applies them at start too)");
        }
    }
}
