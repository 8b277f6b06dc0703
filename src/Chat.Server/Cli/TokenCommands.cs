using System.CommandLine;
using System.Globalization;
using Chat.Server.Auth;

namespace Chat.Server.Cli;

/// <summary>
/// <c>tokens mint | check</c>: the chat's tokens, for host applications that integrate (as
/// Centrifugo's <c>gentoken</c> and <c>checktoken</c>). Signed with this node's key, so a token
/// minted on a node's machine is one that node accepts.
/// </summary>
internal static class TokenCommands
{
    public static Command Create()
    {
        var tokens = new Command("tokens", "Mint and check the tokens sockets and the HTTP API accept.");
        tokens.Subcommands.Add(Mint());
        tokens.Subcommands.Add(Check());
        return tokens;
    }

    private static Command Mint()
    {
        var userId = new Option<long>("--user-id") { Description = "The user's id (sub): any positive integer, with or without an account here.", Required = true };
        var name = new Option<string>("--name") { Description = "The user's name, as the chat shows it.", Required = true };
        var ttl = new Option<string?>("--ttl")
        {
            Description = "How long the token is valid: 90s, 30m, 12h, 7d, or d.hh:mm:ss. Default: Chat:Auth:TokenLifetime.",
        };
        var command = new Command("mint", "Print a token for a user.") { userId, name, ttl };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var id = parse.GetValue(userId);
            var username = parse.GetValue(name)?.Trim();
            if (id < 1)
            {
                throw new CommandFailedException("--user-id must be a positive integer");
            }

            if (string.IsNullOrEmpty(username) || username.Length > 255 || username.Any(char.IsControl))
            {
                throw new CommandFailedException("--name must hold 1 to 255 characters, none of them control characters");
            }

            var tokens = context.Get<TokenService>();
            var user = new ChatUser(id, username);
            var token = parse.GetValue(ttl) is { } text ? tokens.Issue(user, ParseDuration(text)) : tokens.Issue(user);
            await context.Out.WriteLineAsync(token);
            return AdminHost.Succeeded;
        }, anySchema: true);
    }

    private static Command Check()
    {
        var token = new Argument<string>("token") { Description = "The token, or - to read it from standard input (it then stays out of the process list)." };
        var command = new Command("check", "Say whether this server accepts a token, for whom and until when. Exit code 1 when it does not.") { token };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var text = parse.GetValue(token)!;
            if (text == "-")
            {
                text = await context.In.ReadLineAsync(cancellationToken) ?? "";
            }

            var check = await context.Get<TokenService>().CheckAsync(text);
            if (check.User is not { } user)
            {
                throw new CommandFailedException("the token is not accepted: " + check.Refusal);
            }

            await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"valid: user {user.Id} ({user.Username}), expires {check.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}"));
            return AdminHost.Succeeded;
        }, anySchema: true);
    }

    /// <summary>A duration such as <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> or <c>1.12:00:00</c>, between a minute and a year.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        text = text.Trim();
        TimeSpan? duration = text.Length > 1 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            ? char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            }
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
        return duration is { } value && value >= TimeSpan.FromMinutes(1) && value <= TimeSpan.FromDays(365)
            ? value
            : throw new CommandFailedException($"--ttl must be a duration between a minute and a year, such as 30m, 12h or 7d, not \"{text}\"");
    }
}
