using System.Buffers;
using System.IO.Pipelines;
using Chat.Channels.Internal;
using Chat.Channels.Internal.Serialization;
using Chat.Channels.Internal.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

/// <summary>
/// A socket's flush waits for the end of the send batch its frames were sent in, or else for the
/// flush queue, so that frames sent to it meanwhile leave in the same write.
/// </summary>
public sealed class SendBatchTests : IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddChannels();
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private (WebSocketSession Session, PipeReader Wire) Open()
    {
        var wire = new Pipe();
        var session = new WebSocketSession(new Duplex(new Pipe().Reader, wire.Writer), () => { }, _services.GetRequiredService<ChannelsRuntime>());
        return (session, wire.Reader);
    }

    private static OutboundFrame Text(string text) => new(System.Text.Encoding.UTF8.GetBytes(text), IsBinary: false);

    [Fact]
    public async Task Frames_sent_inside_a_batch_are_flushed_together_after_it_ends()
    {
        var (session, wire) = Open();
        var broadcaster = _services.GetRequiredService<Broadcaster>();

        using (broadcaster.BeginBatch())
        {
            session.Send(Text("one"));
            session.Send(Text("two"));
            Assert.False(wire.TryRead(out _), "nothing reaches the wire before the batch ends");
        }

        Assert.Equal([0x81, 3, .. "one"u8, 0x81, 3, .. "two"u8], await ReadAsync(wire));
    }

    [Fact]
    public async Task Outside_a_batch_a_frame_is_flushed_by_the_flush_queue()
    {
        var (session, wire) = Open();

        session.Send(Text("one"));

        Assert.Equal([0x81, 3, .. "one"u8], await ReadAsync(wire));
    }

    [Fact]
    public async Task Work_that_outlives_its_batch_is_flushed_by_the_flush_queue()
    {
        var (session, wire) = Open();
        var broadcaster = _services.GetRequiredService<Broadcaster>();
        Task late;
        var release = new TaskCompletionSource();

        using (broadcaster.BeginBatch())
        {
            // Started inside the batch, so it inherits it, but it sends after the batch ended.
            late = Task.Run(async () =>
            {
                await release.Task;
                session.Send(Text("late"));
            });
        }

        release.SetResult();
        await late;

        Assert.Equal([0x81, 4, .. "late"u8], await ReadAsync(wire));
    }

    [Fact]
    public async Task A_flush_reports_the_frames_its_write_carries()
    {
        // The flush queue lengthens its pause for a crowd from this count: it must be the frames
        // that went out in the write, and nothing for a socket whose flush was already done.
        var (session, wire) = Open();
        var broadcaster = _services.GetRequiredService<Broadcaster>();

        using (broadcaster.BeginBatch())
        {
            session.Send(Text("one"));
            session.Send(Text("two"));
            Assert.Equal(2, session.FlushQueued());
            Assert.Equal([0x81, 3, .. "one"u8, 0x81, 3, .. "two"u8], await ReadAsync(wire));
            Assert.Equal(0, session.FlushQueued());

            session.Send(Text("three"));
            Assert.Equal(1, session.FlushQueued());
            Assert.Equal([0x81, 5, .. "three"u8], await ReadAsync(wire));
        }
    }

    [Fact]
    public async Task A_reply_marks_its_socket_as_owing_one_until_the_write_that_carries_it()
    {
        // The flush queue takes such a socket with its replies, which never wait out a crowd's
        // pause; the broadcasts already in its pipe leave in the reply's write.
        var (session, wire) = Open();
        var broadcaster = _services.GetRequiredService<Broadcaster>();

        using (broadcaster.BeginBatch())
        {
            session.Send(Text("news"));
            Assert.False(session.OwesReply);
            session.SendReply(Text("ok"));
            Assert.True(session.OwesReply);
            Assert.Equal(2, session.FlushQueued());
            Assert.False(session.OwesReply);
        }

        Assert.Equal([0x81, 4, .. "news"u8, 0x81, 2, .. "ok"u8], await ReadAsync(wire));
    }

    [Fact]
    public async Task A_reply_outside_a_batch_is_flushed_by_the_flush_queue()
    {
        var (session, wire) = Open();

        session.Send(Text("news"));
        session.SendReply(Text("ok"));

        // Both in one write or two, depending on when the queue's round comes; in order either way.
        var received = await ReadAsync(wire);
        if (received.Length < 10)
        {
            received = [.. received, .. await ReadAsync(wire)];
        }

        Assert.Equal([0x81, 4, .. "news"u8, 0x81, 2, .. "ok"u8], received);
        Assert.False(session.OwesReply);
    }

    /// <summary>Everything flushed so far, once the first flush has come.</summary>
    private static async Task<byte[]> ReadAsync(PipeReader wire)
    {
        var result = await wire.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var bytes = result.Buffer.ToArray();
        wire.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
