namespace Chat.Channels.Internal;

/// <summary>
/// Something to run once a channel has ended (<see cref="ChannelProcess.Monitor(ExitMonitor)"/>).
/// A class to derive from rather than a callback, so that an object the caller keeps anyway,
/// such as a presence entry, can be the monitor itself.
/// </summary>
internal abstract class ExitMonitor
{
    /// <summary>Runs in the channel's mailbox, after its terminate, once.</summary>
    public abstract ValueTask OnExitAsync();
}
