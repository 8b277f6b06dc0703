using System.Collections.Concurrent;

namespace Chat.LoadGen.Worker;

/// <summary>A worker's counters and histograms, written by every socket of the worker.</summary>
internal sealed class WorkerCounters
{
    public long Opened;
    public long Joined;
    public long Failed;
    public long Lost;
    public long Sent;
    public long Acked;
    public long SendErrors;
    public long Delivered;
    public long HeartbeatsSent;
    public long MaxSendLagMicros;
    public long FirstSendTicks;
    public long LastDeliveryTicks;
    public long LastAckTicks;

    /// <summary>The highest <c>presence_count</c> any socket of the worker has been told.</summary>
    public long MaxPresenceCount;

    public Histogram DeliveryLatency { get; } = new();
    public Histogram AckLatency { get; } = new();

    private readonly ConcurrentDictionary<string, long> _errors = new();

    /// <summary>Counts an error by its text (a handful of distinct reasons, so the map stays small).</summary>
    public void Note(string reason)
    {
        if (_errors.Count < 50 || _errors.ContainsKey(reason))
        {
            _errors.AddOrUpdate(reason, 1, static (_, count) => count + 1);
        }
    }

    public Dictionary<string, long> Errors => new(_errors);

    /// <summary>Starts a new measurement: delivery and send counters and the histograms, not the sockets'.</summary>
    public void ResetTraffic()
    {
        Interlocked.Exchange(ref Sent, 0);
        Interlocked.Exchange(ref Acked, 0);
        Interlocked.Exchange(ref SendErrors, 0);
        Interlocked.Exchange(ref Delivered, 0);
        Interlocked.Exchange(ref MaxSendLagMicros, 0);
        Interlocked.Exchange(ref FirstSendTicks, 0);
        Interlocked.Exchange(ref LastDeliveryTicks, 0);
        Interlocked.Exchange(ref LastAckTicks, 0);
        DeliveryLatency.Reset();
        AckLatency.Reset();
    }
}
