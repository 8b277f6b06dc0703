namespace Chat.Server.Cli;

/// <summary>The context's outcomes as a command's errors.</summary>
internal static class CommandResults
{
    /// <summary>The value of an ok result; otherwise fails the command, saying why in the context's words.</summary>
    public static T OrFail<T>(this ChatResult<T> result, string notFound, string? forbidden = null)
    {
        if (result.IsOk)
        {
            return result.Value!;
        }

        throw new CommandFailedException(result switch
        {
            { Errors: { } errors } => errors.ToString(),
            { Refusal: ChatRefusal.NotFound } => notFound,
            { Refusal: ChatRefusal.Forbidden } => forbidden ?? "not allowed",
            _ => result.Failure ?? "the database failed",
        });
    }
}
