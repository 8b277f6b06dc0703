using Chat.Channels.Internal;

namespace Chat.Channels;

/// <summary>
/// A channel's handle on its client and its topic: the assigns, pushes to this client,
/// broadcasts to everyone on the topic, and replies. Phoenix passes the same thing as
/// <c>socket</c> to every callback.
/// </summary>
public sealed class ChannelSocket
{
    private readonly ChannelProcess _process;
    private readonly IReadOnlyDictionary<string, object?> _socketAssigns;

    // Copied from the socket's on the first Assign: most channels never assign, and a copy
    // per joined channel would be most of an idle channel's memory.
    private Dictionary<string, object?>? _assigns;

    internal ChannelSocket(ChannelProcess process, IReadOnlyDictionary<string, object?> socketAssigns)
    {
        _process = process;
        _socketAssigns = socketAssigns;
    }

    /// <summary>The channel behind this handle, for engine services such as presence.</summary>
    internal ChannelProcess Process => _process;

    /// <summary>The joined topic, such as <c>room:lobby</c>.</summary>
    public string Topic => _process.Topic;

    /// <summary>The client's reference for this join; every message of the join carries it.</summary>
    public string? JoinRef => _process.JoinRef;

    /// <summary>The socket's id (<see cref="ConnectResult.Id"/>), if it has one.</summary>
    public string? SocketId => _process.Connection.Id;

    /// <summary>True once the join has completed and until the channel ends.</summary>
    public bool IsJoined => _process.IsJoined;

    /// <summary>
    /// This channel's assigns. They start as a copy of the socket's, so a channel may add its
    /// own without other channels of the socket seeing them.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Assigns => _assigns ?? _socketAssigns;

    /// <summary>
    /// Cancelled when this channel ends, however it ends: the client leaves, the socket closes,
    /// the channel stops or crashes, a duplicate join replaces it, the server shuts down. Pass
    /// it to work that is only worth finishing while the client still listens, such as a
    /// query started by <see cref="Channel.HandleInAsync"/>. It fires before
    /// <see cref="Channel.TerminateAsync"/> runs.
    /// </summary>
    public CancellationToken Ended => _process.Ended;

    /// <summary>
    /// The client message being handled. Return <see cref="InResult.NoReply"/> and keep this
    /// to answer later, from any thread, with <see cref="SocketRef.Reply(string, object?)"/>.
    /// Only valid inside <see cref="Channel.HandleInAsync"/>.
    /// </summary>
    public SocketRef Ref => _process.CurrentRef
        ?? throw new InvalidOperationException("Ref is only available while handling a client event.");

    /// <summary>Sets one of this channel's assigns.</summary>
    public void Assign(string key, object? value) =>
        (_assigns ??= new Dictionary<string, object?>(_socketAssigns, StringComparer.Ordinal))[key] = value;

    /// <summary>Reads an assign that must be present.</summary>
    public T Get<T>(string key) => Assigns.TryGetValue(key, out var value) && value is T typed
        ? typed
        : throw new KeyNotFoundException($"The socket has no assign '{key}' of type {typeof(T).Name}.");

    /// <summary>Sends an event to this client only.</summary>
    public void Push(string @event, object? payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        _process.Push(@event, payload);
    }

    /// <summary>Sends an event to every client on this topic, this one included, on every node.</summary>
    public ValueTask BroadcastAsync(string @event, object? payload, CancellationToken cancellationToken = default) =>
        _process.BroadcastAsync(@event, payload, exceptSelf: false, cancellationToken);

    /// <summary>Sends an event to every client on this topic except this one.</summary>
    public ValueTask BroadcastFromAsync(string @event, object? payload, CancellationToken cancellationToken = default) =>
        _process.BroadcastAsync(@event, payload, exceptSelf: true, cancellationToken);

    /// <summary>
    /// Posts a message to this channel's own mailbox; <see cref="Channel.HandleInfoAsync"/>
    /// receives it after whatever is already queued. Safe to call from any thread.
    /// </summary>
    public void Send(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        _process.PostInfo(message);
    }

    /// <summary>Ends the channel once the current callback returns; the client gets <c>phx_close</c>.</summary>
    public void Stop(string reason = "normal") => _process.RequestStop(reason);
}
