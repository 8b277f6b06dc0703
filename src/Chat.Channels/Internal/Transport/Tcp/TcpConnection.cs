using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// One accepted TCP connection, handed to Kestrel as its <see cref="ConnectionContext"/>: the
/// socket, its two pipe ends (<see cref="SocketPipeReader"/>, <see cref="SocketPipeWriter"/>) and
/// the features Kestrel's HTTP layer asks for. Nothing runs for it while it is idle: no receive or
/// send loop, no task, no buffer, so an idle WebSocket costs this object, its two pipe ends and
/// the runtime's state for the socket.
/// </summary>
/// <remarks>
/// The socket closes when the output completes and what it holds has been sent (as Kestrel's
/// own transport closes it), or at once on <see cref="Abort(ConnectionAbortedException)"/>.
/// <see cref="ConnectionClosed"/> fires when the client ends its side (FIN or reset), or the
/// socket closes.
/// </remarks>
internal sealed partial class TcpConnection : ConnectionContext, IDuplexPipe
{
    private static long s_lastId;

    private readonly long _id;
    private readonly SocketPipeReader _input;
    private readonly SocketPipeWriter _output;
    private string? _connectionId;
    private CancellationTokenSource? _closedSource;
    private volatile ConnectionAbortedException? _abortReason;
    private int _closed;
    private int _closedFired;
    private volatile bool _leftServer;

    public TcpConnection(Socket socket, MemoryPool<byte> pool)
    {
        Socket = socket;
        Pool = pool;
        _id = Interlocked.Increment(ref s_lastId);
        _input = new SocketPipeReader(this);
        _output = new SocketPipeWriter(this);
    }

    public Socket Socket { get; }

    public MemoryPool<byte> Pool { get; }

    /// <summary>Guards the two pipe ends' state changes: a pending read or send, its cancellation, their completion.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Why the connection was aborted, once it was.</summary>
    public ConnectionAbortedException? AbortReason => _abortReason;

    /// <summary>The socket is closed (or being closed): nothing more can be sent.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public override string ConnectionId
    {
        // Made when first asked for (Kestrel asks at once; an id is not needed before).
        get => _connectionId ??= "tcp-" + _id.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IDuplexPipe Transport
    {
        get => _transport ?? this;
        set => _transport = value;
    }

    private IDuplexPipe? _transport;

    PipeReader IDuplexPipe.Input => _input;

    PipeWriter IDuplexPipe.Output => _output;

    public override IFeatureCollection Features => this;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    private IDictionary<object, object?>? _items;

    public override CancellationToken ConnectionClosed
    {
        get
        {
            var source = Volatile.Read(ref _closedSource);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _closedSource, created, null) ?? created;
                if (ReferenceEquals(source, created) && Volatile.Read(ref _closedFired) != 0)
                {
                    created.Cancel();
                }
            }

            return source.Token;
        }
        set => throw new NotSupportedException("The transport owns the connection's closed token.");
    }

    public override EndPoint? LocalEndPoint
    {
        get => _localEndPoint ??= Socket.LocalEndPoint;
        set => _localEndPoint = value;
    }

    private EndPoint? _localEndPoint;

    public override EndPoint? RemoteEndPoint
    {
        get => _remoteEndPoint ??= Socket.RemoteEndPoint;
        set => _remoteEndPoint = value;
    }

    private EndPoint? _remoteEndPoint;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        CloseSocket();
        // A read waiting on the socket ends with the abort's reason.
    }

    public override void Abort() => Abort(new ConnectionAbortedException("The connection was aborted by the application."));

    /// <summary>The client ended its side, or the receive failed: the connection counts as closed for whoever listens.</summary>
    public void OnReceiveEnded() => FireClosed();

    /// <summary>Someone listens for the connection's end (Kestrel's HTTP layer does, until a socket takes the connection over).</summary>
    public bool HasClosedListeners => Volatile.Read(ref _closedSource) is not null && !_leftServer && Volatile.Read(ref _closedFired) == 0;

    /// <summary>
    /// How long a client that sent FIN while its request was handled still gets its response.
    /// A FIN is how a client goes away, and Kestrel's HTTP layer aborts the request on it at once
    /// (with its own transport, a half-closed client gets nothing); but a client may also just
    /// be done sending (shutdown(SHUT_WR) after its request), and a quick answer still reaches it.
    /// </summary>
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The client sent FIN while nothing was reading (seen by the reader's watch, not by a read):
    /// after <see cref="HalfCloseGrace"/>, the connection counts as closed, which aborts a request
    /// still running (a long poll whose client left).
    /// </summary>
    public void OnClientFinishedSending()
    {
        if (Volatile.Read(ref _closedFired) == 0)
        {
            _ = FireClosedAfterGraceAsync();
        }
    }

    private async Task FireClosedAfterGraceAsync()
    {
        await Task.Delay(HalfCloseGrace).ConfigureAwait(false);
        if (!_leftServer)
        {
            FireClosed();
        }
    }

    /// <summary>The output completed and what it held has gone (or can no longer go): the socket closes, FIN after the data.</summary>
    public void OnOutputDone() => CloseSocket();

    private void CloseSocket()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            // Sends FIN after what the kernel holds, so the client reads every byte sent before.
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the client: nothing left to shut down.
        }

        Socket.Dispose();
        FireClosed();
    }

    private void FireClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _closedSource) is { } source)
        {
            // Off this thread, as Kestrel does: what listens may do real work, and this runs
            // inside a read's or a send's completion.
            ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), source, preferLocal: false);
        }
    }

    /// <summary>
    /// Kestrel lets go of the connection (see <see cref="ConnectionHandoff"/>): the socket that
    /// took it over owns it from now on and ends it by completing both pipe ends, so Kestrel's
    /// dispose, when its connection ends, leaves it alone.
    /// </summary>
    public void LeaveServer()
    {
        _leftServer = true;
        // What Kestrel and its HTTP layer left on the connection would live as long as the
        // socket: the features Kestrel added (its connection object among them, and through it
        // its whole bookkeeping), the closed token the HTTP layer listened on (a source keeps
        // its callback nodes after they are unregistered), the id and the endpoints.
        ForgetAddedFeatures();
        // Dropped, not disposed: a closing connection may be cancelling it on the pool now.
        Volatile.Write(ref _closedSource, null);
        _connectionId = null;
        _localEndPoint = null;
        _remoteEndPoint = null;
        _items = null;
    }

    public override ValueTask DisposeAsync()
    {
        if (_leftServer)
        {
            return ValueTask.CompletedTask;
        }

        _input.Complete();
        _output.Complete();
        return ValueTask.CompletedTask;
    }
}
