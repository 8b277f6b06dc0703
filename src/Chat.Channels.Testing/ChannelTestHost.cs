using Chat.Channels.Internal;
using Chat.Channels.Internal.Serialization;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Testing;

/// <summary>
/// A channel layer without a web server, for tests: Phoenix.ChannelTest's endpoint. Sockets
/// made here run the real engine (mailboxes, fastlane, pubsub) with an in-memory transport.
/// </summary>
/// <example>
/// <code>
/// await using var host = ChannelTestHost.Create(services => services.AddSingleton&lt;RoomStore&gt;());
/// var socket = host.Connect&lt;UserSocket&gt;(new Dictionary&lt;string, object?&gt; { ["user_id"] = 1 });
/// var (reply, room) = await socket.JoinAsync("room:lobby");
/// var answer = await room.PushAsync("new_msg", new { content = "hi" });
/// await room.AssertPushAsync("new_msg");
/// </code>
/// </example>
public sealed class ChannelTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<TestSocket> _sockets = [];

    private ChannelTestHost(ServiceProvider services) => _services = services;

    /// <summary>The default time an assertion waits for a message.</summary>
    public static TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The services channels are created from.</summary>
    public IServiceProvider Services => _services;

    /// <summary>Broadcasts from outside a channel, as an application would.</summary>
    public Broadcaster Broadcaster => _services.GetRequiredService<Broadcaster>();

    /// <summary>Builds a host with the channel layer and the application's services.</summary>
    public static ChannelTestHost Create(Action<IServiceCollection>? configureServices = null, Action<ChannelsOptions>? configureOptions = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddChannels(configureOptions);
        configureServices?.Invoke(services);
        return new ChannelTestHost(services.BuildServiceProvider());
    }

    /// <summary>A connected socket with the given assigns, skipping <see cref="SocketHandler.ConnectAsync"/>.</summary>
    public TestSocket Connect<TSocket>(IReadOnlyDictionary<string, object?>? assigns = null, string? id = null)
        where TSocket : SocketHandler =>
        Open(ActivatorUtilities.GetServiceOrCreateInstance<TSocket>(_services), ConnectResult.Ok(assigns, id));

    /// <summary>Runs the handler's connect for a request; null when it refuses.</summary>
    public async Task<TestSocket?> ConnectAsync<TSocket>(ConnectRequest request)
        where TSocket : SocketHandler
    {
        var handler = ActivatorUtilities.GetServiceOrCreateInstance<TSocket>(_services);
        var result = await handler.ConnectAsync(request, CancellationToken.None).ConfigureAwait(false);
        return result.IsAccepted ? Open(handler, result) : null;
    }

    /// <summary>Subscribes the test itself to a topic, to assert on what is broadcast there.</summary>
    public async Task<BroadcastProbe> SubscribeAsync(string topic)
    {
        var probe = new BroadcastProbe();
        probe.Subscription = await _services.GetRequiredService<IPubSub>().SubscribeAsync(topic, probe).ConfigureAwait(false);
        return probe;
    }

    private TestSocket Open(SocketHandler handler, ConnectResult result)
    {
        var transport = new TestTransport();
        var connection = new SocketConnection(_services.GetRequiredService<ChannelsRuntime>(), handler, V2JsonSerializer.Instance, result, transport);
        connection.StartAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var socket = new TestSocket(connection, transport);
        lock (_sockets)
        {
            _sockets.Add(socket);
        }

        return socket;
    }

    /// <summary>Closes every socket (their channels terminate) and disposes the services.</summary>
    public async ValueTask DisposeAsync()
    {
        TestSocket[] sockets;
        lock (_sockets)
        {
            sockets = [.. _sockets];
        }

        foreach (var socket in sockets)
        {
            await socket.CloseAsync().ConfigureAwait(false);
        }

        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
