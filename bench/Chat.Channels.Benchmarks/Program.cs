using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using Chat.Channels;
using Chat.Channels.Internal;
using Chat.Channels.Internal.Serialization;
using Chat.Channels.Internal.Transport;
using Chat.Channels.PubSub;
using Microsoft.Extensions.DependencyInjection;

// What one delivery costs on the fastlane: `dotnet run -c Release --project bench/Chat.Channels.Benchmarks -- [subscribers] [broadcasts]`.
// N sockets (V2 serializer) joined to one topic, each writing into its own in-memory pipe that a
// reader drains; one thread publishes broadcasts of a ~330-byte new_msg payload. Reports, after a
// warm-up, from the first broadcast until every frame has been flushed and read: wall time, CPU
// time of the whole process (the number to compare on a busy machine), bytes allocated, and
// flushes (reads by the drain loops) per delivery.
var subscribers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var broadcasts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;

var services = new ServiceCollection();
services.AddLogging();
services.AddChannels();
await using var provider = services.BuildServiceProvider();
var runtime = provider.GetRequiredService<ChannelsRuntime>();
var pubSub = provider.GetRequiredService<IPubSub>();
var handler = new BenchSocket();

var readers = new List<Task>();
var connections = new List<SocketConnection>();
for (var i = 0; i < subscribers; i++)
{
    // Like Kestrel's socket transport: blocks from a pool that keeps them (not ArrayPool, which
    // holds only a few per core), and a reader that takes the bytes as soon as they are flushed
    // (here at once, on the flushing thread: the send system call is not measured).
    var pipe = new Pipe(new PipeOptions(pool: BlockPool.Instance, readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    var session = new WebSocketSession(new DuplexPipe(new Pipe().Reader, pipe.Writer), () => { }, runtime);
    var connection = new SocketConnection(runtime, handler, V2JsonSerializer.Instance, ConnectResult.Ok(), session);
    connections.Add(connection);
    readers.Add(DrainAsync(pipe.Reader));
    await connection.HandleAsync(new InboundMessage("1", "1", "room:bench", "phx_join", Payload.Empty));
}

while (pubSub is InProcessPubSub && CountJoined() < subscribers)
{
    await Task.Delay(50);
}

var payload = Payload.FromJson(Encoding.UTF8.GetBytes(
    """{"id":123456,"room_id":42,"user_id":1001,"username":"someone","content":"A chat message of about a hundred characters, as people type them, give or take a few words.","inserted_at":"2026-11-25T13:00:00.123Z","edited_at":null,"deleted":false,"reactions":{},"rev":123456}"""));

var frameBytes = V2JsonSerializer.Instance.EncodeBroadcast("room:bench", "new_msg", payload).Data.Length + 4; // + the 4-byte header of a 126..65535-byte frame
Run(broadcasts / 4); // warm-up: JIT, pools
GC.Collect();
var (elapsed, cpu, allocated, gcs, reads) = Run(broadcasts);
var deliveries = (double)broadcasts * subscribers;
Console.WriteLine($"{subscribers} subscribers x {broadcasts} broadcasts, payload {payload.Bytes.Length} B: " +
    $"{elapsed.TotalNanoseconds / deliveries:F0} ns wall, {cpu.TotalNanoseconds / deliveries:F0} ns CPU, {allocated / deliveries:F2} bytes allocated " +
    $"and {reads / deliveries:F2} flushes per delivery ({allocated / (double)broadcasts:F0} bytes per broadcast), {gcs} gen0 GCs");
return;

(TimeSpan Elapsed, TimeSpan Cpu, long Allocated, int Gen0, long Reads) Run(int count)
{
    var gen0 = GC.CollectionCount(0);
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var readsBefore = Interlocked.Read(ref Drained.Reads);
    var expected = Interlocked.Read(ref Drained.Bytes) + (long)count * subscribers * frameBytes;
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        pubSub.BroadcastAsync(new Broadcast("room:bench", "new_msg", payload)).AsTask().GetAwaiter().GetResult();
    }

    // Flushes may be deferred: the run ends when every frame has reached its reader.
    while (Interlocked.Read(ref Drained.Bytes) < expected)
    {
        Thread.Sleep(1);
    }

    clock.Stop();
    var cpuTime = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    return (clock.Elapsed, cpuTime, GC.GetTotalAllocatedBytes(precise: true) - before, GC.CollectionCount(0) - gen0, Interlocked.Read(ref Drained.Reads) - readsBefore);
}

int CountJoined() => ((InProcessPubSub)pubSub).SubscriberCount("room:bench");

static async Task DrainAsync(PipeReader reader)
{
    while (true)
    {
        var result = await reader.ReadAsync();
        Interlocked.Add(ref Drained.Bytes, result.Buffer.Length);
        Interlocked.Increment(ref Drained.Reads);
        reader.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted)
        {
            return;
        }
    }
}

/// <summary>What the drain loops have read, all sockets together.</summary>
internal static class Drained
{
    public static long Bytes;
    public static long Reads;
}

internal sealed class BenchSocket : SocketHandler
{
    public BenchSocket() => Channel<BenchChannel>("room:*");

    public override ValueTask<ConnectResult> ConnectAsync(ConnectRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ConnectResult.Ok());
}

internal sealed class BenchChannel : Channel
{
    public override ValueTask<JoinResult> JoinAsync(string topic, Payload payload, ChannelSocket socket) =>
        ValueTask.FromResult(JoinResult.Ok());
}

/// <summary>4 KiB blocks kept for reuse, as Kestrel's pinned block pool keeps them.</summary>
internal sealed class BlockPool : System.Buffers.MemoryPool<byte>
{
    public static readonly BlockPool Instance = new();
    private readonly Stack<Block> _blocks = new();

    public override int MaxBufferSize => 4096;

    public override System.Buffers.IMemoryOwner<byte> Rent(int minBufferSize = -1) =>
        Take() ?? new Block(this);

    private Block? Take()
    {
        lock (_blocks)
        {
            return _blocks.TryPop(out var block) ? block : null;
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(BlockPool pool) : System.Buffers.IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(4096, pinned: true);

        public Memory<byte> Memory => _array;

        public void Dispose()
        {
            lock (pool._blocks)
            {
                pool._blocks.Push(this);
            }
        }
    }
}

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
