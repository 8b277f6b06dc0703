using System.ComponentModel.DataAnnotations;
using Chat.Channels.Internal;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Chat.Channels;

/// <summary>
/// Limits and settings of the channel layer. Every default is set here, in one place, and
/// matches Phoenix's unless a comment says why not. The attributes state each setting's
/// bounds; a host validates them at start (the chat server names the key that is out of bounds).
/// </summary>
public sealed class ChannelsOptions
{
    /// <summary>Channels one socket may join at once; the next join gets <c>too many channels joined</c>.</summary>
    [Range(1, 100_000, ErrorMessage = "must be between {1} and {2}")]
    public int MaxChannelsPerSocket { get; set; } = 100;

    /// <summary>Largest client frame accepted; a larger one closes the socket with 1009.</summary>
    [Range(1024, 16 * 1024 * 1024, ErrorMessage = "must be between {1} and {2} bytes")]
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Sockets this server holds at once; past it a new socket is answered HTTP 503. Set it
    /// below the process's open-file limit: a socket is a file descriptor, and running out of
    /// them takes more than sockets down.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int MaxSockets { get; set; } = int.MaxValue;

    /// <summary>
    /// Sockets one socket id (<see cref="ConnectResult.Id"/>: one user's, as a rule) may hold
    /// open at once; the next is answered HTTP 429. With a backplane that counts sockets over
    /// every node (Redis), the limit holds over all nodes together, and on each node alone while
    /// the backplane cannot be reached. Phoenix has no such bound; without one a single
    /// signed-in client could open sockets until the server has none left. Fifty is more tabs
    /// and devices than a person uses.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int MaxSocketsPerId { get; set; } = 50;

    /// <summary>
    /// Sockets one client address (<see cref="ClientAddress.Key"/>: an IPv4 address or an IPv6
    /// /64) may hold open at once on this server (each node counts its own); the next is answered HTTP 429. Unbounded by
    /// default, since many people can share one address (an office, a carrier's NAT).
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int MaxSocketsPerAddress { get; set; } = int.MaxValue;

    /// <summary>A socket that sends nothing (not even a heartbeat) for this long is closed.</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00", ErrorMessage = "must be between a second and a day (clients send a heartbeat every 30 s)")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Frames that may wait in one socket's send queue. A client that falls further behind is
    /// a slow consumer and is disconnected, so one client that stops reading cannot grow the
    /// server's memory without bound.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int MaxPendingFrames { get; set; } = 1024;

    /// <summary>
    /// Bytes that may wait in one socket's send queue, counted with <see cref="MaxPendingFrames"/>:
    /// frames are small as a rule, but a join reply with a long history or the
    /// <c>presence_state</c> of a crowded room can be a megabyte, and a thousand of those would
    /// be a gigabyte held for one client. A single frame larger than this is still sent when
    /// nothing else is waiting.
    /// </summary>
    [Range(1024, long.MaxValue, ErrorMessage = "must be at least {1} bytes")]
    public long MaxPendingBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Messages that may wait in one channel's mailbox. Past this the socket stops reading
    /// client frames until the channel catches up; broadcasts to a channel this far behind
    /// disconnect the socket as a slow consumer.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int MailboxCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes of client messages that one socket may have queued for its channels, all of them
    /// together, before they are handled (a message counts its payload and about 256 bytes for
    /// the rest). Past it the socket stops reading until its channels catch up, so one client
    /// cannot make the server hold its frames by the gigabyte: <see cref="MailboxCapacity"/>
    /// alone would let a hundred channels queue a thousand 64 KiB frames each. A single message
    /// larger than this is still taken when nothing else is queued.
    /// </summary>
    [Range(1024, long.MaxValue, ErrorMessage = "must be at least {1} bytes")]
    public long MaxQueuedInboundBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Presence changes are collected this long and published as one <c>presence_diff</c> per
    /// topic, so that a crowd joining a big room costs a diff per interval, not one per join.
    /// </summary>
    [TimeSpanRange("00:00:00.001", "00:01:00", ErrorMessage = "must be between a millisecond and a minute")]
    public TimeSpan PresenceBroadcastInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a LongPoll request waits for something to send before it is answered empty (204)
    /// and the client polls again. Below the client's own timeout (phoenix.js
    /// <c>longpollerTimeout</c>, 20 s): a longer wait looks like a dead server to it. A session
    /// whose client has not polled for one and a half of these is closed.
    /// </summary>
    [TimeSpanRange("00:00:01", "00:01:00", ErrorMessage = "must be between a second and a minute")]
    public TimeSpan LongPollWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keys of a topic that <c>presence_state</c> and <c>presence_diff</c> speak of: the ones
    /// present longest. Beyond this many, the rest are present but not listed, and members get
    /// <c>presence_count</c> <c>{"count": N}</c> instead (at most once a second), so a room of
    /// ten thousand costs each joiner a list of this size, not of ten thousand, and nobody a
    /// diff per join. Phoenix lists everyone; a list longer than this is not read by anyone.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "must be between {1} and {2}")]
    public int PresenceListLimit { get; set; } = 100;

    /// <summary>How long a closing socket waits for the client's close frame before dropping the connection.</summary>
    [TimeSpanRange("00:00:00", "00:10:00", ErrorMessage = "must be between zero and ten minutes")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Origins (<c>https://chat.example.com</c>) whose pages may open a socket; <c>*</c> allows any.
    /// Empty means only the server's own origin. Requests without an <c>Origin</c> header
    /// (bots, native apps) are not browsers and are not checked.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// How channel payloads become JSON: snake_case names, and text left unescaped since
    /// it travels inside a WebSocket frame, never inside HTML. Add source-generated
    /// contexts to <see cref="JsonSerializerOptions.TypeInfoResolverChain"/> to keep
    /// reflection off the hot path.
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}
