namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Transport</c> section: how Kestrel's socket transport schedules its work.</summary>
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
    /// callbacks run in their own mailboxes. The price: an application that blocks in a request
    /// holds up that connection's own reads and writes, not only the request; and the flush
    /// thread, one for the process, then makes every broadcast's <c>send</c> itself, where
    /// Kestrel's I/O queues spread them over the cores. So unset, it is on only where there
    /// are no cores to spread them over: a process with at most two processors.
    /// </summary>
    public bool? InlineScheduling { get; set; }

    /// <summary>Processors up to which <see cref="InlineScheduling"/> is on when it is not set.</summary>
    internal const int InlineUpToProcessors = 2;

    /// <summary><see cref="InlineScheduling"/> as set, or else as this machine suggests.</summary>
    public bool SchedulesInline => InlineScheduling ?? Environment.ProcessorCount <= InlineUpToProcessors;
}
