using Chat.Server.Admin;
using Chat.Server.Auth;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Chat.Server.Cli;

/// <summary>
/// What <c>users delete</c>, <c>users reset-password</c> and <c>disconnect-user</c> end: every
/// token issued to the user until now, and every socket of theirs, as sign-out everywhere
/// (<c>DELETE /api/session</c>) does for a user who asks.
/// </summary>
internal static class UserSignOut
{
    /// <summary>
    /// Revokes every token of <paramref name="userId"/> issued until now, then has the node on
    /// this machine close the user's sockets. False when no node runs here: the revocation holds
    /// all the same, but no socket was closed from here.
    /// </summary>
    public static async Task<bool> RunAsync(CommandContext context, long userId, CancellationToken cancellationToken)
    {
        var at = context.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        // Stored before anything else, through the store sign-out everywhere uses: it holds
        // whether a node runs here or not, every node reads it at start, and this process's
        // pubsub takes it to every node that shares Redis.
        await context.Get<TokenRevocations>().RevokeAsync(userId, at, cancellationToken).ConfigureAwait(false);
        var path = ControlSocket.PathFor(context.Get<IOptions<ChatServerOptions>>().Value.DataDir);
        // The node applies the revocation itself before it closes the sockets (so that none comes
        // back with its token), and announces it through its own pubsub: without Redis this
        // process's pubsub reaches no node.
        var answer = await ControlClient.AskAsync(path, new ControlRequest(ControlRequest.SignOutUser, userId, at), cancellationToken).ConfigureAwait(false);
        if (answer is null)
        {
            return false;
        }

        return answer.Ok ? true : throw new CommandFailedException(answer.Error ?? "the server refused");
    }

    /// <summary>What to tell the operator after <see cref="RunAsync"/>.</summary>
    public static string Outcome(CommandContext context, bool nodeAnswered) => nodeAnswered
        ? "Every token issued to it until now is revoked, and its sockets were closed."
        : "Every token issued to it until now is revoked. No server answers on "
            + ControlSocket.PathFor(context.Get<IOptions<ChatServerOptions>>().Value.DataDir)
            + ", so no socket was closed from here.";
}
