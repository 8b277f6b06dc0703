using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Chat.Channels.Internal.Transport.Tcp;
using TcpListener = Chat.Channels.Internal.Transport.Tcp.TcpListener;
using Microsoft.AspNetCore.Connections;

namespace Chat.Channels.Tests;

/// <summary>
/// The own transport's pipe ends on a real socket pair, without Kestrel: the parts of the
/// <see cref="PipeReader"/>/<see cref="PipeWriter"/> contract that the layers above rely on.
/// </summary>
public sealed class TcpPipeContractTests : IAsyncLifetime
{
    private TcpListener _listener = null!;
    private TcpConnection _server = null!;
    private Socket _client = null!;

    public async Task InitializeAsync()
    {
        _listener = TcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), MemoryPool<byte>.Shared);
        _client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var accepting = _listener.AcceptAsync().AsTask();
        await _client.ConnectAsync((IPEndPoint)_listener.EndPoint);
        _server = (TcpConnection)(await accepting.WaitAsync(TimeSpan.FromSeconds(10)))!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await _listener.DisposeAsync();
    }

    private PipeWriter Output => _server.Transport.Output;

    /// <summary>Writes and flushes until a flush has to wait: the client reads nothing, so the kernel's buffers fill.</summary>
    private async Task<ValueTask<FlushResult>> FillUntilFlushWaitsAsync(CancellationToken cancellationToken = default)
    {
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 10_000; i++)
        {
            Output.Write(chunk);
            var flush = Output.FlushAsync(cancellationToken);
            if (!flush.IsCompleted)
            {
                return flush;
            }

            await flush;
        }

        throw new InvalidOperationException("The flush never had to wait.");
    }

    [Fact]
    public async Task A_waiting_flush_ends_when_its_token_is_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var flush = await FillUntilFlushWaitsAsync(cancel.Token);

        cancel.Cancel();

        // As with Pipe: the caller that gave up on a client gets its thread back.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flush.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_flush_with_a_cancelled_token_throws_and_the_next_flush_sends_everything()
    {
        Output.Write("first "u8);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Output.FlushAsync(new CancellationToken(canceled: true)));
        Output.Write("second"u8);
        await Output.FlushAsync();

        Assert.Equal("first second", await ReceiveAsync(12));
    }

    [Fact]
    public async Task A_waiting_flush_that_was_cancelled_still_sends_its_data_and_the_next_flush_sends_more()
    {
        var flush = await FillUntilFlushWaitsAsync();
        Output.CancelPendingFlush();
        Assert.True((await flush).IsCanceled);

        Output.Write("tail"u8);
        var next = Output.FlushAsync().AsTask();
        var received = await ReceiveAllAsync(until: "tail"u8.ToArray());
        await next.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.EndsWith("tail", System.Text.Encoding.ASCII.GetString(received[^4..]));
    }

    [Fact]
    public async Task Completing_the_output_while_a_flush_waits_sends_what_was_written_after_it_too()
    {
        var flush = await FillUntilFlushWaitsAsync();
        Output.CancelPendingFlush();
        await flush;
        Output.Write("last words"u8);

        await Output.CompleteAsync();
        var received = await ReceiveAllAsync(until: null);

        Assert.EndsWith("last words", System.Text.Encoding.ASCII.GetString(received[^10..]));
    }

    [Fact]
    public async Task A_flush_of_many_blocks_allocates_nothing()
    {
        var block = new byte[4096];
        async Task<long> FlushBlocksAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Output.Write(block);
            }

            // The kernel takes 64 KiB at once on loopback: the flush completes on this thread.
            var before = GC.GetAllocatedBytesForCurrentThread();
            var flush = Output.FlushAsync();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(flush.IsCompletedSuccessfully);
            await flush;
            return allocated;
        }

        await FlushBlocksAsync(16);
        var allocated = await FlushBlocksAsync(16);
        await ReceiveAsync(2 * 16 * 4096);

        // Gathered sends of more than eight blocks made the runtime allocate two arrays each.
        Assert.Equal(0, allocated);
    }

    private PipeReader Input => _server.Transport.Input;

    [Fact]
    public async Task A_read_after_the_clients_fin_returns_what_was_sent_then_completes()
    {
        await _client.SendAsync("hello"u8.ToArray());
        _client.Shutdown(SocketShutdown.Send);

        var text = new StringBuilder();
        while (true)
        {
            var result = await Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            foreach (var part in result.Buffer)
            {
                text.Append(System.Text.Encoding.ASCII.GetString(part.Span));
            }

            Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("hello", text.ToString());
        // The client still reads: the server's answer reaches it after its FIN.
        Output.Write("answer"u8);
        await Output.FlushAsync();
        Assert.Equal("answer", await ReceiveAsync(6));
    }

    [Fact]
    public async Task Data_examined_but_not_consumed_is_returned_again_with_what_comes_next()
    {
        await _client.SendAsync("GET / HT"u8.ToArray());
        var first = await ReadAtLeastAsync(8);
        Input.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        // All examined: the next read waits for more instead of returning the same bytes.
        var next = Input.ReadAsync();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);
        await _client.SendAsync("TP/1.1"u8.ToArray());
        var second = await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("GET / HTTP/1.1", System.Text.Encoding.ASCII.GetString(second.Buffer.ToArray()[..14]));
        Input.AdvanceTo(second.Buffer.End);
    }

    [Fact]
    public async Task Cancel_pending_read_ends_a_waiting_read_or_the_next_one_and_keeps_the_data()
    {
        var waiting = Input.ReadAsync();
        Input.CancelPendingRead();
        var canceled = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(canceled.IsCanceled);
        Input.AdvanceTo(canceled.Buffer.Start);

        Input.CancelPendingRead();
        Assert.True((await Input.ReadAsync()).IsCanceled);

        await _client.SendAsync("kept"u8.ToArray());
        var result = await ReadAtLeastAsync(4);
        Assert.False(result.IsCanceled);
        Assert.Equal("kept", System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray()));
        Input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task Aborting_the_connection_ends_a_waiting_read_with_the_abort_and_closes_the_socket()
    {
        var waiting = Input.ReadAsync();
        var reason = new ConnectionAbortedException("test abort");

        _server.Abort(reason);

        var thrown = await Assert.ThrowsAsync<ConnectionAbortedException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Same(reason, thrown);
        Assert.True(_server.ConnectionClosed.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        Assert.Empty(await ReceiveAllAsync(until: null));
    }

    [Fact]
    public async Task A_client_reset_fails_a_waiting_read_with_a_reset()
    {
        var waiting = Input.ReadAsync();

        _client.LingerState = new LingerOption(true, 0);
        _client.Close();

        await Assert.ThrowsAsync<ConnectionResetException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(_server.ConnectionClosed.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
    }

    private async Task<ReadResult> ReadAtLeastAsync(int count)
    {
        while (true)
        {
            var result = await Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                return result;
            }

            Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private async Task<string> ReceiveAsync(int count)
    {
        var buffer = new byte[count];
        var received = 0;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received < count)
        {
            var n = await _client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cancel.Token);
            Assert.NotEqual(0, n);
            received += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Reads until the stream ends with <paramref name="until"/>, or (null) until the server closes.</summary>
    private async Task<byte[]> ReceiveAllAsync(byte[]? until)
    {
        var received = new MemoryStream();
        var buffer = new byte[256 * 1024];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var n = await _client.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            if (n == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, n);
            if (until is not null && received.Length >= until.Length && received.GetBuffer().AsSpan((int)received.Length - until.Length, until.Length).SequenceEqual(until))
            {
                return received.ToArray();
            }
        }
    }
}
