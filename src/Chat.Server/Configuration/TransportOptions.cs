namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Transport</c> section: which transport accepts the TCP connections, and how Kestrel's schedules its work.</summary>
public sealed class TransportOptions
{
    public const string Section = "Chat:Transport";

    /// <summary>
    /// Runs what a socket's read or write sets off on the thread that completed it, instead of
    /// handing it to Kestrel's I/O queues and then to the thread pool (Kestrel's
    /// <c>SocketTransportOptions.UnsafePreferInlineScheduling</c>). An idle socket's heartbeat
    /// then costs one thread-pool wake-up instead of four, and the flush thread writes to the
    /// sockets itself. Safe here because the runtime completes socket operations on thread-pool
    /// threads (unless <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> is set, which this
    /// server does not do) and because nothing of a socket's receive loop blocks: channel
    /// callbacks run in their own mailboxes. The price, measured (docs/benchmarks.md, change 13):
    /// the flush thread, one for the process, then makes every broadcast's <c>send</c> itself,
    /// and a big room's fan-out costs far more of the core: with it, the server's one core was
    /// full from 200,000 deliveries a second and the peak fell from at least 1.99 million to 1.2
    /// million. So it is off unless set: worth it only for a server that holds many idle
    /// sockets and never fans out to big rooms fast.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// Accepts TCP connections with the channels' own transport instead of Kestrel's socket
    /// transport: the connection's pipe ends read and write the socket directly, with no pipes,
    /// receive or send loops and no buffer held while a socket is idle (docs/benchmarks.md,
    /// changes 18 and 20). <see cref="InlineScheduling"/> applies to Kestrel's transport only.
    /// In the locked runs it cut an idle socket from about 10 to about 6 KiB and idle CPU at
    /// 19,000 sockets to 1.7 % of a core; with its sends gathered (one <c>sendmsg</c> per socket
    /// per flush round) its fan-out peak is Kestrel's. <c>false</c> keeps Kestrel's transport.
    /// </summary>
    public bool OwnSockets { get; set; } = true;
}
