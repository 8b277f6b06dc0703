using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Chat.Tests;

/// <summary>
/// A TCP proxy in front of PostgreSQL that can lose the answer to a <c>COMMIT</c>, as a network
/// or a server failing at the wrong moment does: it forwards the <c>COMMIT</c>, waits for
/// PostgreSQL's answer, drops it and cuts the connection. The transaction has committed, and
/// the client cannot know it.
/// </summary>
internal sealed class CommitAnswerLosingProxy : IAsyncDisposable
{
    // The simple-query message a client sends to commit: 'Q', its length (11), "COMMIT" and a NUL.
    private static readonly byte[] CommitQuery = [(byte)'Q', 0, 0, 0, 11, .. "COMMIT"u8, 0];

    // A COMMIT sent in the extended protocol, as one statement of a batch: the Parse message's
    // unnamed statement (an empty name, a NUL), "COMMIT", its NUL and no parameter types.
    private static readonly byte[] CommitParse = [0, .. "COMMIT"u8, 0, 0, 0];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<TcpClient> _sockets = [];
    private readonly ConcurrentBag<Task> _relays = [];
    private readonly Task _accepting;
    private int _armed;
    private int _answersLost;

    public CommitAnswerLosingProxy(string host, int port)
    {
        _target = new DnsEndPoint(host, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many answers to a commit it has dropped.</summary>
    public int AnswersLost => Volatile.Read(ref _answersLost);

    /// <summary>The next <c>COMMIT</c> through the proxy, on any connection, loses its answer.</summary>
    public void LoseNextCommitAnswer() => Volatile.Write(ref _armed, 1);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                _sockets.Add(client);
                _relays.Add(RelayAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        _sockets.Add(server);
        try
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stopping.Token);
            var committing = 0;
            var up = PumpAsync(client.GetStream(), server.GetStream(), chunk =>
            {
                // Flag the commit before it is forwarded, so its answer cannot overtake the flag.
                if ((chunk.Span.IndexOf(CommitQuery) >= 0 || chunk.Span.IndexOf(CommitParse) >= 0) && Interlocked.Exchange(ref _armed, 0) == 1)
                {
                    Volatile.Write(ref committing, 1);
                }

                return true;
            });
            var down = PumpAsync(server.GetStream(), client.GetStream(), _ =>
            {
                if (Volatile.Read(ref committing) == 0)
                {
                    return true;
                }

                Interlocked.Increment(ref _answersLost);
                return false;
            });
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // One side went away.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until either ends, or <paramref name="forward"/> says to cut.</summary>
    private async Task PumpAsync(NetworkStream from, NetworkStream to, Func<ReadOnlyMemory<byte>, bool> forward)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                if (!forward(buffer.AsMemory(0, read)))
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One side went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _accepting;
        await Task.WhenAll(_relays);
        _stopping.Dispose();
    }
}
