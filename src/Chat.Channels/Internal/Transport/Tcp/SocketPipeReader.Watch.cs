using System.Net.Sockets;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>The reader's watch for a client that goes away while no read waits (an HTTP request being handled).</summary>
internal sealed partial class SocketPipeReader
{
    /// <summary>
    /// The reader went off to handle what it read, and nothing reads the socket until it comes
    /// back: a client that goes away meanwhile would go unnoticed (Kestrel's transport notices,
    /// since its receive loop always reads ahead). While someone listens for the connection's end
    /// (Kestrel's HTTP layer does, until a socket takes the connection over), a zero-byte receive
    /// watches the socket; the next read takes it over, so a request costs no extra system call
    /// unless the client sent more already.
    /// </summary>
    private void WatchWhileAway()
    {
        if (!_connection.HasClosedListeners)
        {
            return;
        }

        lock (Gate)
        {
            if (_state != ReadState.Idle || _receiveOutstanding || _dataWaiting || _completed || _ended || _error is not null)
            {
                return;
            }

            _receiveOutstanding = true;
        }

        WaitUntilReadable();
    }

    /// <summary>The socket became readable (or failed) while no read waited: tells the connection when the client has gone or is going.</summary>
    private void CheckClientStillThere(Exception? failure, int readsWaited)
    {
        if (failure is not null)
        {
            if (failure is SocketException { SocketErrorCode: not (SocketError.OperationAborted or SocketError.Interrupted) })
            {
                // Reset: the client is gone.
                _connection.OnReceiveEnded();
            }

            // Otherwise the socket was closed here.
            return;
        }

        int peeked;
        SocketError error;
        try
        {
            // Peeked, not taken: the reader gets the data (or the FIN) when it reads.
            Span<byte> one = stackalloc byte[1];
            peeked = _connection.Socket.Receive(one, SocketFlags.Peek, out error);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        if (error == SocketError.Success && peeked > 0)
        {
            lock (Gate)
            {
                // Unless a read waited since (it took the data, and the reader may watch again).
                _dataWaiting = _readsWaited == readsWaited;
            }
        }
        else if (error == SocketError.Success)
        {
            _connection.OnClientFinishedSending();
        }
        else if (error != SocketError.WouldBlock)
        {
            _connection.OnReceiveEnded();
        }
    }
}
