using System.CommandLine;
using Chat.Server.Admin;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Chat.Server.Cli;

/// <summary>
/// <c>disconnect-user</c>: revokes every token of a user issued until now and closes every
/// socket of theirs (close code 1001), as sign-out everywhere does. The node running on this
/// machine is asked through its control socket and broadcasts the disconnect through its
/// pubsub, so with several nodes sharing Redis every node closes that user's sockets.
/// </summary>
internal static class DisconnectUserCommand
{
    public static Command Create()
    {
        var userId = new Argument<long>("user-id") { Description = "Whose sockets to close." };
        var command = new Command("disconnect-user",
            "Revoke every token of a user issued until now and close every socket of theirs, through the server running on this machine. " +
            "The user signs in again to get a new token.")
        {
            userId,
        };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var id = parse.GetValue(userId);
            if (id < 1)
            {
                throw new CommandFailedException("the user id must be a positive integer");
            }

            if (!await UserSignOut.RunAsync(context, id, cancellationToken))
            {
                var path = ControlSocket.PathFor(context.Get<IOptions<ChatServerOptions>>().Value.DataDir);
                throw new CommandFailedException($"every token of user {id} issued until now is revoked, but no server is running with this data directory " +
                    $"(nothing answers on {path}), so no socket was closed; a stopped server holds no sockets");
            }

            await context.Out.WriteLineAsync($"Revoked every token of user {id} issued until now and disconnected every socket of theirs.");
            return AdminHost.Succeeded;
        });
    }
}
