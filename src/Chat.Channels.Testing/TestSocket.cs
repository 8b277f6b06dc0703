using System.Net.WebSockets;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Testing;

/// <summary>A connected test socket: join topics, send raw messages, and read what the server sent.</summary>
public sealed class TestSocket
{
    private readonly SocketConnection _connection;
    private readonly TestTransport _transport;
    private readonly JsonSerializerOptions _json;
    private int _nextRef;

    internal TestSocket(SocketConnection connection, TestTransport transport)
    {
        _connection = connection;
        _transport = transport;
        _json = connection.Runtime.Json;
    }

    /// <summary>The socket's id, from connect.</summary>
    public string? Id => _connection.Id;

    /// <summary>The close code the server closed this socket with, if it did.</summary>
    public WebSocketCloseStatus? CloseStatus => _transport.CloseStatus;

    /// <summary>Channels currently joined or joining.</summary>
    public int ChannelCount => _connection.ChannelCount;

    /// <summary>Joins a topic and waits for the reply. The channel handle works whatever the reply said.</summary>
    public async Task<(TestReply Reply, TestChannel Channel)> JoinAsync(string topic, object? payload = null)
    {
        var joinRef = NextRef();
        var channel = new TestChannel(this, topic, joinRef);
        var reply = await SendAndAwaitReplyAsync(joinRef, joinRef, topic, "phx_join", payload).ConfigureAwait(false);
        return (reply, channel);
    }

    /// <summary>Sends a raw message, as a client could, and returns its ref.</summary>
    public async Task<string> SendAsync(string? joinRef, string topic, string @event, object? payload = null)
    {
        var @ref = NextRef();
        await _connection.HandleAsync(new InboundMessage(joinRef, @ref, topic, @event, Payload.From(payload, _json))).ConfigureAwait(false);
        return @ref;
    }

    /// <summary>Sends a raw message and waits for its reply.</summary>
    public async Task<TestReply> SendAndAwaitReplyAsync(string? joinRef, string? @ref, string topic, string @event, object? payload = null)
    {
        @ref ??= NextRef();
        await _connection.HandleAsync(new InboundMessage(joinRef, @ref, topic, @event, Payload.From(payload, _json))).ConfigureAwait(false);
        return await AssertReplyAsync(@ref).ConfigureAwait(false);
    }

    /// <summary>Waits for the reply to the message <paramref name="ref"/>.</summary>
    public async Task<TestReply> AssertReplyAsync(string @ref, TimeSpan? timeout = null)
    {
        var message = await ReceiveAsync(m => m.Event == "phx_reply" && m.Ref == @ref, timeout).ConfigureAwait(false)
            ?? throw new TestAssertionException($"Expected a reply to ref {@ref}; got none.");
        return new TestReply(message.Payload.GetProperty("status").GetString()!, message.Payload.GetProperty("response").Clone());
    }

    /// <summary>Waits for the next message that matches, or returns null after the timeout.</summary>
    public Task<TestMessage?> ReceiveAsync(Func<TestMessage, bool> match, TimeSpan? timeout = null) =>
        _transport.Inbox.TakeAsync(match, timeout ?? ChannelTestHost.DefaultTimeout);

    /// <summary>Messages received and not yet taken by an assertion.</summary>
    public IReadOnlyList<TestMessage> Pending => _transport.Inbox.Snapshot();

    /// <summary>Closes the socket as if the client vanished; every channel terminates with <see cref="TerminateKind.Closed"/>.</summary>
    public Task CloseAsync() => _connection.TerminateAsync(TerminateReason.Closed);

    internal string NextRef() => Interlocked.Increment(ref _nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
