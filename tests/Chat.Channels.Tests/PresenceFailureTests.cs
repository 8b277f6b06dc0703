using System.Collections.Concurrent;
using Chat.Channels.PubSub;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Channels.Tests;

/// <summary>A pubsub that fails to publish a presence diff: the loss is logged, and presence keeps working.</summary>
public sealed class PresenceFailureTests
{
    [Fact]
    public async Task A_diff_the_pubsub_cannot_publish_is_logged_and_the_state_stays_right()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = ChannelTestHost.Create(services =>
        {
            services.AddSingleton<JoinedChannels>();
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton<IPubSub, DiffRefusingPubSub>();
        });

        var ann = host.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "ann" });
        var (_, room) = await ann.JoinAsync("presence:room");
        await room.AssertPushAsync("tracked");

        var entry = await logs.WaitForAsync(e => e.Level == LogLevel.Error && e.Message.Contains("presence:room", StringComparison.Ordinal));
        Assert.IsType<IOException>(entry.Exception);
        var bob = host.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "bob" });
        var (_, bobRoom) = await bob.JoinAsync("presence:room");
        var state = await bobRoom.AssertPushAsync("presence_state");
        Assert.True(state.TryGetProperty("ann", out _));
    }

    /// <summary>In-process delivery, except that every <c>presence_diff</c> fails as a remote backplane might.</summary>
    private sealed class DiffRefusingPubSub : IPubSub
    {
        private readonly InProcessPubSub _inner = new();

        public ValueTask<IDisposable> SubscribeAsync(string topic, IBroadcastSubscriber subscriber, CancellationToken cancellationToken = default) =>
            _inner.SubscribeAsync(topic, subscriber, cancellationToken);

        public ValueTask BroadcastAsync(Broadcast broadcast, CancellationToken cancellationToken = default) =>
            broadcast.Event == "presence_diff"
                ? ValueTask.FromException(new IOException("backplane unreachable"))
                : _inner.BroadcastAsync(broadcast, cancellationToken);
    }
}

/// <summary>Keeps every log entry, for tests that assert something was logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < deadline)
        {
            if (_entries.FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("No matching log entry.");
    }

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
