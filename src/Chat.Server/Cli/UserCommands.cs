using System.CommandLine;
using System.Security.Cryptography;
using Chat.Accounts;

namespace Chat.Server.Cli;

/// <summary><c>users create | reset-password | delete</c>: accounts, without SQL.</summary>
internal static class UserCommands
{
    public static Command Create()
    {
        var users = new Command("users", "Create accounts, set their passwords, delete them.");
        users.Subcommands.Add(CreateUser());
        users.Subcommands.Add(ResetPassword());
        users.Subcommands.Add(DeleteUser());
        return users;
    }

    private static Argument<string> UsernameArgument() => new("username") { Description = "The account's username (3-32 letters, digits, _ . -)." };

    private static Option<bool> PasswordStdinOption() => new("--password-stdin")
    {
        Description = "Read the password from the first line of standard input. Without it, a random password is made and shown once.",
    };

    private static Command CreateUser()
    {
        var username = UsernameArgument();
        var passwordStdin = PasswordStdinOption();
        var command = new Command("create", "Create an account that signs in with a password.") { username, passwordStdin };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var (password, generated) = await ReadPasswordAsync(parse.GetValue(passwordStdin), context);
            var user = (await context.Get<AccountService>().RegisterAsync(parse.GetValue(username), password, cancellationToken)).OrFail("");
            await context.Out.WriteLineAsync($"Created user {user.Username} (id {user.Id}).");
            await ShowGeneratedAsync(context, password, generated);
            return AdminHost.Succeeded;
        });
    }

    private static Command ResetPassword()
    {
        var username = UsernameArgument();
        var passwordStdin = PasswordStdinOption();
        var command = new Command("reset-password",
            "Give an account a new password, revoke every token issued to it until now and close its sockets.") { username, passwordStdin };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var name = parse.GetValue(username)!;
            var (password, generated) = await ReadPasswordAsync(parse.GetValue(passwordStdin), context);
            var user = (await context.Get<AccountService>().ResetPasswordAsync(name, password, cancellationToken)).OrFail($"no user is named {name}");
            var closed = await UserSignOut.RunAsync(context, user.Id, cancellationToken);
            await context.Out.WriteLineAsync($"Set a new password for {user.Username} (id {user.Id}). {UserSignOut.Outcome(context, closed)}");
            await ShowGeneratedAsync(context, password, generated);
            return AdminHost.Succeeded;
        });
    }

    private static Command DeleteUser()
    {
        var username = UsernameArgument();
        var yes = new Option<bool>("--yes") { Description = "Confirm: the account is deleted at once." };
        var command = new Command("delete",
            "Delete an account, revoke every token issued to it and close its sockets. Its messages stay.") { username, yes };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var name = parse.GetValue(username)!;
            if (!parse.GetValue(yes))
            {
                throw new CommandFailedException($"deleting {name} cannot be undone; run again with --yes to delete it");
            }

            var user = (await context.Get<AccountService>().DeleteAsync(name, cancellationToken)).OrFail($"no user is named {name}");
            var closed = await UserSignOut.RunAsync(context, user.Id, cancellationToken);
            await context.Out.WriteLineAsync($"Deleted user {user.Username} (id {user.Id}). Its messages stay. {UserSignOut.Outcome(context, closed)}");
            return AdminHost.Succeeded;
        });
    }

    private static async Task<(string Password, bool Generated)> ReadPasswordAsync(bool fromStdin, CommandContext context)
    {
        if (!fromStdin)
        {
            // 18 random bytes: 24 characters of base64url, far past any guessing.
            return (Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_'), true);
        }

        var line = await context.In.ReadLineAsync();
        return line is null ? throw new CommandFailedException("--password-stdin was given, but standard input is empty") : (line, false);
    }

    private static async Task ShowGeneratedAsync(CommandContext context, string password, bool generated)
    {
        if (generated)
        {
            await context.Out.WriteLineAsync($"Password: {password}");
        }
    }
}
