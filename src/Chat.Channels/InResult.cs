namespace Chat.Channels;

/// <summary>
/// What <see cref="Channel.HandleInAsync"/> decides for one client event: reply to it,
/// stay silent, or stop the channel. Phoenix's <c>{:reply, …}</c>, <c>{:noreply, …}</c>
/// and <c>{:stop, …}</c>.
/// </summary>
public sealed class InResult
{
    private static readonly InResult NoReplyResult = new(null, null, null);

    private InResult(string? status, object? response, string? stopReason)
    {
        Status = status;
        Response = response;
        StopReason = stopReason;
    }

    /// <summary>The reply status (<c>ok</c>, <c>error</c>, or any other word), or <c>null</c> for no reply.</summary>
    public string? Status { get; }

    /// <summary>The reply payload: a serializable value, a <see cref="Payload"/>, or <c>null</c> for <c>{}</c>.</summary>
    public object? Response { get; }

    /// <summary>Set when the channel stops after this event; the reason reaches <see cref="Channel.TerminateAsync"/>.</summary>
    public string? StopReason { get; }

    /// <summary>No reply now. The channel may still answer later with <see cref="SocketRef.Reply(string, object?)"/> (see <see cref="ChannelSocket.Ref"/>).</summary>
    public static InResult NoReply => NoReplyResult;

    /// <summary>Replies <c>ok</c>.</summary>
    public static InResult Ok(object? response = null) => new("ok", response, null);

    /// <summary>Replies <c>error</c>.</summary>
    public static InResult Error(object? response = null) => new("error", response, null);

    /// <summary>Replies with any status.</summary>
    public static InResult Reply(string status, object? response = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        return new(status, response, null);
    }

    /// <summary>Stops the channel; the client gets <c>phx_close</c>. An optional reply goes out first.</summary>
    public static InResult Stop(string reason, string? status = null, object? response = null) =>
        new(status, response, reason ?? "normal");
}
