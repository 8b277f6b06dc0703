using System.CommandLine;
using Chat.Server.Admin;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Chat.Server.Cli;

/// <summary>
/// <c>disconnect-user</c>: closes every socket of a user (close code 1001). The node running on
/// this machine is asked through its control socket and broadcasts the disconnect through its
/// pubsub, so with several nodes sharing Redis every node closes that user's sockets.
/// </summary>
internal static class DisconnectUserCommand
{
    public static Command Create()
    {
        var userId = new Argument<long>("user-id") { Description = "Whose sockets to close." };
        var command = new Command("disconnect-user",
            "Close every socket of a user, through the server running on this machine. The client reconnects with its token; " +
            "after 'users delete' or a key rotation that token no longer works.")
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

            var path = ControlSocket.PathFor(context.Get<IOptions<ChatServerOptions>>().Value.DataDir);
            var answer = await ControlClient.AskAsync(path, new ControlRequest(ControlRequest.DisconnectUser, id), cancellationToken)
                ?? throw new CommandFailedException($"no server is running with this data directory (nothing answers on {path}); a stopped server holds no sockets");
            if (!answer.Ok)
            {
                throw new CommandFailedException(answer.Error ?? "the server refused");
            }

            await context.Out.WriteLineAsync($"Disconnected every socket of user {id}.");
            return AdminHost.Succeeded;
        }, anySchema: true);
    }
}
