namespace Chat.Channels;

/// <summary>Options of the channels' own TCP transport (<see cref="ChannelsTransportServiceCollectionExtensions.AddChannelsTransport"/>).</summary>
public sealed class ChannelsTransportOptions
{
    /// <summary>
    /// Whether Kestrel's TCP listeners use the channels' own transport (the default once it is
    /// added), or Kestrel's socket transport. Ours reads and writes the socket straight from the
    /// connection's pipe ends, with no pipes, loops or buffers between them, so an idle socket
    /// costs a few small objects; Kestrel's keeps two pipes and a receive and a send loop per
    /// connection.
    /// </summary>
    public bool OwnSockets { get; set; } = true;
}
