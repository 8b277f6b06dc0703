using System.Collections.Concurrent;
using System.Diagnostics;

namespace Chat.Channels.Internal.Transport;

/// <summary>
/// The sockets that have frames written into their output pipe but not yet flushed, and the
/// thread that flushes them, in rounds. A socket joins the queue once, at its first unflushed
/// frame; frames written to it until its round comes join that frame and leave with it, in one
/// write.
/// </summary>
/// <remarks>
/// <para>This is what makes the server cheaper per frame as it gets busier. The write system
/// call (on loopback, with the receiver's side of TCP in it) is most of what a delivery costs,
/// and each flush is one. When the server keeps up, a round runs as soon as a socket is queued,
/// and a frame leaves one thread hop after it was written.</para>
/// <para>A round that flushes a crowd (<see cref="CrowdRound"/> sockets or more: a broadcast to
/// a big room) is followed by a pause of up to <see cref="CrowdPause"/> from its start, so that
/// big fan-outs are flushed at most that often: when broadcasts to a big room come faster than
/// that, each member gets several of them per write, and the server's cost per delivery falls
/// as the rate rises instead of its latency climbing. Broadcasts that come slower than that are
/// not delayed at all. SignalR gets its batching from a transport loop per connection; this is
/// one thread for the process.</para>
/// <para>Each write costs about the same whatever it carries, so with the pause fixed the
/// writes cost the server rounds per second times the crowd, whatever the rate: at 20 ms and
/// 2,000 members, 100,000 writes a second, most of a core. So when a crowd's round carried
/// <see cref="BusyFramesPerWrite"/> frames or more per socket (broadcasts come at least every
/// 10 ms), the next pause is <see cref="BusyCrowdPause"/>: fewer, fuller writes, for a wait
/// well inside what a busy room tolerates. It falls back to <see cref="CrowdPause"/> as soon
/// as a round carries less (broadcasts slower than every 25 ms), so moderate rates keep
/// the short wait.</para>
/// <para>One full round is not yet a busy room: the long pause takes two in a row
/// (<see cref="CrowdPauses"/>).</para>
/// <para>Replies never wait out a pause. A socket owed a reply (a sent message's
/// acknowledgement, above all) is queued with the replies, which every round takes first and
/// which wake the thread during a pause, and the broadcasts waiting in its pipe leave in the
/// same write. A client that waits for its acknowledgement before it sends again (one send in
/// flight) would otherwise send at most once per pause: with a thousand such senders, the
/// whole chat sat at 1,000 ÷ 50 ms = 20,000 acknowledgements a second on SQLite and on
/// PostgreSQL alike, with the server's core a third idle (docs/benchmarks.md).</para>
/// </remarks>
internal sealed class FlushQueue
{
    /// <summary>A round that flushes at least this many sockets is a fan-out to a crowd.</summary>
    internal const int CrowdRound = 512;

    /// <summary>The least time from the start of a crowd's round to the start of the next round.</summary>
    internal static readonly TimeSpan CrowdPause = TimeSpan.FromMilliseconds(20);

    /// <summary>The pause after a crowd's round in which sockets carried <see cref="BusyFramesPerWrite"/> frames or more each.</summary>
    internal static readonly TimeSpan BusyCrowdPause = TimeSpan.FromMilliseconds(50);

    /// <summary>Frames per write, on average over a crowd's round, from which broadcasts count as coming fast.</summary>
    internal const int BusyFramesPerWrite = 2;

    private readonly ConcurrentQueue<WebSocketSession> _dirty = new();
    private readonly ConcurrentQueue<WebSocketSession> _replies = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    // Set for replies only: what a pause waits on, so that broadcasts queued meanwhile do not wake it.
    private readonly AutoResetEvent _replyWake = new(initialState: false);
    private int _signaled;
    private int _replySignaled;

    private FlushQueue()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Chat.Channels flush" };
        thread.Start();
    }

    /// <summary>One for the process: flushing is the transport's business, whichever server a socket belongs to.</summary>
    public static FlushQueue Shared { get; } = new();

    /// <summary>
    /// Queues a socket whose flush is owed, with the replies when it owes one; the caller marks
    /// it so that it is queued once (and once more when a reply comes after it was queued).
    /// </summary>
    public void Add(WebSocketSession session, bool isReply = false)
    {
        if (isReply)
        {
            _replies.Enqueue(session);
            SignalReply();
        }
        else
        {
            _dirty.Enqueue(session);
        }

        Signal();
    }

    /// <summary>Queues the sockets a send batch held back: with the replies, those that owe one.</summary>
    public void AddRange(List<WebSocketSession> sessions)
    {
        var replies = false;
        foreach (var session in sessions)
        {
            if (session.OwesReply)
            {
                _replies.Enqueue(session);
                replies = true;
            }
            else
            {
                _dirty.Enqueue(session);
            }
        }

        if (replies)
        {
            SignalReply();
        }

        Signal();
    }

    private void SignalReply()
    {
        if (Interlocked.Exchange(ref _replySignaled, 1) == 0)
        {
            _replyWake.Set();
        }
    }

    private void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Set();
        }
    }

    private void Run()
    {
        // A crowd is counted over the rounds of one pause window, not per round: a round takes
        // only the sockets queued before it began, so a broadcast to a big room that is still
        // being written into its members' pipes when a round starts is flushed over several
        // short rounds. Counted per round, none of them would reach a crowd, no pause would
        // follow, and every member would get one write per broadcast: the cost per delivery
        // would stop falling as the rate rises (measured: the fan-out peak fell from about two
        // million deliveries a second to 1.2-1.5 million).
        var windowStarted = 0L;
        var flushedInWindow = 0;
        var framesInWindow = 0;
        var pauses = new CrowdPauses();
        while (true)
        {
            _wake.WaitOne();
            // Reset before draining: a socket queued from now on signals again, so none is missed.
            Volatile.Write(ref _signaled, 0);
            if (windowStarted == 0 || Stopwatch.GetElapsedTime(windowStarted) > CrowdPause)
            {
                windowStarted = Stopwatch.GetTimestamp();
                flushedInWindow = 0;
                framesInWindow = 0;
            }

            // Only the sockets queued before the round began: when the flushes send on this
            // thread (the channels' own transport sends inline), a crowd's round lasts as long
            // as its sends, and broadcasts that come meanwhile queue the same sockets again.
            // Taken into the same round, each would leave in a write of its own, with no pause
            // between rounds: the batching below would never happen and the thread would never
            // rest. They wait for the next round instead (at once when this one outlasted its
            // pause), and leave together.
            Volatile.Write(ref _replySignaled, 0);
            FlushQueued(_replies, ref flushedInWindow, ref framesInWindow);
            FlushQueued(_dirty, ref flushedInWindow, ref framesInWindow);
            if (flushedInWindow >= CrowdRound)
            {
                var pause = pauses.After(windowStarted, flushedInWindow, framesInWindow) - Stopwatch.GetElapsedTime(windowStarted);
                if (pause > TimeSpan.Zero)
                {
                    RestFlushingReplies(pause);
                }

                windowStarted = 0;
            }

            if (!_dirty.IsEmpty || !_replies.IsEmpty)
            {
                // Sockets queued during the round have signalled already; this only makes sure
                // that what this round left is never stranded.
                Signal();
            }
        }
    }

    /// <summary>
    /// Flushes the sockets queued in <paramref name="queue"/> before this call (see the round in
    /// <see cref="Run"/>), counting them and the frames their writes carried.
    /// </summary>
    private static void FlushQueued(ConcurrentQueue<WebSocketSession> queue, ref int flushed, ref int frames)
    {
        var queued = queue.Count;
        while (queued-- > 0 && queue.TryDequeue(out var session))
        {
            try
            {
                frames += session.FlushQueued();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or ObjectDisposedException)
            {
                // Its transport is gone: drop the socket, and flush the others.
                session.Abort();
            }

            flushed++;
        }
    }

    /// <summary>The pause after a crowd's round; replies queued meanwhile are flushed as they come, and are not counted in the next window.</summary>
    private void RestFlushingReplies(TimeSpan pause)
    {
        var until = Stopwatch.GetTimestamp() + (long)(pause.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until);
            if (left <= TimeSpan.Zero || !_replyWake.WaitOne(left))
            {
                return;
            }

            Volatile.Write(ref _replySignaled, 0);
            int flushed = 0, frames = 0;
            FlushQueued(_replies, ref flushed, ref frames);
        }
    }
}
