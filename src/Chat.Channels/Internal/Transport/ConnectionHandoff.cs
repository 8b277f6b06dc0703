using System.Runtime.ExceptionServices;
using Chat.Channels.Internal.Transport.Tcp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// Lets the socket endpoint take a connection over from Kestrel's HTTP layer once the upgrade
/// is done, so that the HTTP/1.1 connection, the request, its headers and its context are
/// freed instead of living as long as the socket (they were most of an idle socket's memory).
/// </summary>
/// <remarks>
/// <para>A connection middleware (<see cref="Middleware"/>) runs outside the HTTP layer and hands
/// it a <see cref="HandoffConnectionContext"/>: the real connection, seen through a transport
/// that can be detached and a feature layer that keeps what the HTTP layer registers on the
/// connection (its heartbeat, its timeout control) away from the real one. The endpoint
/// upgrades as usual, then calls <see cref="TakeOver"/>: the HTTP layer's view is detached,
/// its request ends as for any upgraded connection that the application is done with, and the
/// middleware runs the socket on the connection's own pipes.</para>
/// <para>Only when the HTTP layer reads exactly the transport this middleware handed it can
/// the connection be taken over: not behind a TLS middleware that Kestrel placed inside this
/// one, not over HTTP/2, not on another server. There the endpoint serves the socket on the
/// upgraded stream instead, with the same framing.</para>
/// </remarks>
internal sealed class ConnectionHandoff
{
    private readonly ConnectionContext _connection;
    private readonly HandoffConnectionContext _httpView;
    private Func<ConnectionContext, Task>? _continuation;

    private ConnectionHandoff(ConnectionContext connection)
    {
        _connection = connection;
        _httpView = new HandoffConnectionContext(connection, this);
    }

    /// <summary>The connection middleware; install it on a listener, before the HTTP layer.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        // Only the continuation outlives the HTTP layer: the handoff and its view of the
        // connection live in ServeHttpAsync's frame, which ends before the socket runs, so an
        // idle socket does not keep them (about 600 bytes each) for its whole life.
        var (continuation, failure) = await ServeHttpAsync(next, connection).ConfigureAwait(false);
        if (continuation is not null)
        {
            if (failure is null && connection is TcpConnection own)
            {
                // On our own transport the socket needs nothing of Kestrel's any more: Kestrel's
                // connection ends here, and with it its bookkeeping (its connection object, this
                // middleware's and its own frames, its heartbeat's walk over the socket every
                // second). The socket closes itself; shutdown closes it through the registry.
                own.LeaveServer();
                // Started without the execution context: it carries Kestrel's per-connection
                // logging scope, which every await of the socket's life would otherwise keep.
                using (ExecutionContext.SuppressFlow())
                {
                    _ = continuation(connection);
                }

                return;
            }

            // Runs even when the HTTP layer failed after the takeover: the socket then finds
            // its connection gone and cleans up after itself.
            await continuation(connection).ConfigureAwait(false);
        }

        failure?.Throw();
    };

    /// <summary>Runs the HTTP layer on its view of the connection: what took the connection over, if anything did, and how the HTTP layer failed, if it did.</summary>
    private static async Task<(Func<ConnectionContext, Task>? Continuation, ExceptionDispatchInfo? Failure)> ServeHttpAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        var handoff = new ConnectionHandoff(connection);
        ExceptionDispatchInfo? failure = null;
        try
        {
            await next(handoff._httpView).ConfigureAwait(false);
        }
        catch (Exception ex) when (handoff._continuation is not null)
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }

        var continuation = handoff._continuation;
        handoff._continuation = null;
        return (continuation, failure);
    }

    /// <summary>Whether this request's connection can be taken over (see the remarks).</summary>
    public static ConnectionHandoff? For(HttpContext context) =>
        context.Features.Get<ConnectionHandoff>() is { } handoff
        && !handoff._httpView.IsDetached
        && ReferenceEquals(context.Features.Get<IConnectionTransportFeature>()?.Transport, handoff._httpView.OwnTransport)
        && context.Request.Protocol == "HTTP/1.1"
            ? handoff
            : null;

    /// <summary>
    /// Detaches the HTTP layer from the connection; once the request delegate returns,
    /// <paramref name="continuation"/> runs with the connection and owns it until it returns.
    /// Call it after the 101 response has been flushed.
    /// </summary>
    public void TakeOver(Func<ConnectionContext, Task> continuation)
    {
        _httpView.Detach();
        _continuation = continuation;
    }

    /// <summary>The connection as the HTTP layer sees it until <see cref="TakeOver"/>.</summary>
    private sealed class HandoffConnectionContext : ConnectionContext, IConnectionTransportFeature, IConnectionHeartbeatFeature
    {
        private readonly ConnectionContext _inner;
        private readonly DetachablePipe _pipe;
        private readonly Microsoft.AspNetCore.Http.Features.FeatureCollection _features;
        private List<(Action<object> Action, object State)>? _heartbeats;
        private HeartbeatRelay? _relay;
        private volatile bool _detached;

        public HandoffConnectionContext(ConnectionContext inner, ConnectionHandoff handoff)
        {
            _inner = inner;
            _pipe = new DetachablePipe(inner.Transport);
            Transport = _pipe;
            // Features set by the HTTP layer land in this layer and go away with it; reads fall
            // through to the real connection's features.
            _features = new Microsoft.AspNetCore.Http.Features.FeatureCollection(inner.Features);
            _features.Set<IConnectionTransportFeature>(this);
            _features.Set<IConnectionHeartbeatFeature>(this);
            _features.Set(handoff);
        }

        public bool IsDetached => _detached;

        public DetachablePipe OwnTransport => _pipe;

        public override string ConnectionId
        {
            get => _inner.ConnectionId;
            set => _inner.ConnectionId = value;
        }

        public override Microsoft.AspNetCore.Http.Features.IFeatureCollection Features => _features;

        public override IDictionary<object, object?> Items
        {
            get => _inner.Items;
            set => _inner.Items = value;
        }

        public override System.IO.Pipelines.IDuplexPipe Transport { get; set; }

        public override CancellationToken ConnectionClosed
        {
            get => _inner.ConnectionClosed;
            set => _inner.ConnectionClosed = value;
        }

        public override System.Net.EndPoint? LocalEndPoint
        {
            get => _inner.LocalEndPoint;
            set => _inner.LocalEndPoint = value;
        }

        public override System.Net.EndPoint? RemoteEndPoint
        {
            get => _inner.RemoteEndPoint;
            set => _inner.RemoteEndPoint = value;
        }

        public void Detach()
        {
            _detached = true;
            _pipe.Detach();
            lock (_pipe)
            {
                // Kestrel keeps heartbeat callbacks for the connection's life: drop the HTTP
                // layer's, or its whole request would stay reachable through them.
                _heartbeats = null;
                if (_relay is not null)
                {
                    _relay.Target = null;
                    _relay = null;
                }
            }
        }

        public void OnHeartbeat(Action<object> action, object state)
        {
            lock (_pipe)
            {
                if (_detached)
                {
                    return;
                }

                if (_heartbeats is null)
                {
                    _heartbeats = [];
                    // Kestrel keeps what is registered here for the connection's life: a relay
                    // that lets go of this view on Detach, not the view itself.
                    _relay = new HeartbeatRelay(this);
                    _inner.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(static relay => ((HeartbeatRelay)relay).Tick(), _relay);
                }

                _heartbeats.Add((action, state));
            }
        }

        /// <summary>Passes Kestrel's heartbeat on to the HTTP layer's callbacks, until the view is detached.</summary>
        private sealed class HeartbeatRelay(HandoffConnectionContext target)
        {
            public volatile HandoffConnectionContext? Target = target;

            public void Tick() => Target?.Tick();
        }

        private void Tick()
        {
            (Action<object> Action, object State)[] heartbeats;
            lock (_pipe)
            {
                if (_heartbeats is null)
                {
                    return;
                }

                heartbeats = [.. _heartbeats];
            }

            foreach (var (action, state) in heartbeats)
            {
                action(state);
            }
        }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            // Once taken over, the socket is no longer the HTTP layer's to abort.
            if (!_detached)
            {
                _inner.Abort(abortReason);
            }
        }

        public override void Abort()
        {
            if (!_detached)
            {
                _inner.Abort();
            }
        }

        // The real connection is disposed by Kestrel after the middleware returns.
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
