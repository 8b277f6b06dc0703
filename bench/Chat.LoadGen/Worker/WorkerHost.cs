using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Chat.LoadGen.Protocols;

namespace Chat.LoadGen.Worker;

/// <summary>
/// One worker process: opens its share of the sockets, keeps them alive, sends on the
/// coordinator's command (open loop at a rate, or closed loop with k sends in flight per
/// socket), and answers with its counters and histograms. Commands arrive as JSON lines on
/// standard input and every answer is one JSON line on standard output; the worker exits when
/// its input closes, so a coordinator that dies takes its workers with it.
/// </summary>
internal sealed class WorkerHost
{
    private readonly WorkerConfig _config;
    private readonly ChatProtocol _protocol;
    private readonly WorkerCounters _counters = new();
    private readonly ClientSession?[] _clients;
    private volatile bool _opening;
    private volatile bool _sending;
    private volatile bool _stopSending;
    private Task _sendTask = Task.CompletedTask;
    private readonly Thread _heartbeats;
    private volatile bool _closing;

    private WorkerHost(WorkerConfig config)
    {
        _config = config;
        _protocol = ChatProtocol.For(config.Protocol);
        _clients = new ClientSession?[config.Count];
        _heartbeats = new Thread(HeartbeatLoop) { IsBackground = true, Name = "heartbeats" };
    }

    public static async Task<int> RunAsync()
    {
        var stdin = Console.In;
        var first = await stdin.ReadLineAsync();
        var command = first is null ? null : JsonSerializer.Deserialize(first, WorkerJson.Default.WorkerCommand);
        if (command?.Config is not { } config)
        {
            await Console.Error.WriteLineAsync("worker: the first line must be {\"cmd\":\"config\",\"config\":{…}}");
            return 2;
        }

        var host = new WorkerHost(config);
        Reply(new WorkerStats { Worker = config.Worker });
        while (await stdin.ReadLineAsync() is { } line)
        {
            var next = JsonSerializer.Deserialize(line, WorkerJson.Default.WorkerCommand)!;
            if (!await host.HandleAsync(next))
            {
                return 0;
            }
        }

        host.CloseAll();
        return 0;
    }

    private async Task<bool> HandleAsync(WorkerCommand command)
    {
        switch (command.Cmd)
        {
            case "open":
                _opening = true;
                _ = Task.Run(OpenAllAsync);
                _heartbeats.Start();
                Reply(Stats());
                break;
            case "stats":
                Reply(Stats());
                break;
            case "histograms":
                Console.Out.WriteLine(JsonSerializer.Serialize(new WorkerHistograms
                {
                    Delivery = _counters.DeliveryLatency.ToSparse(),
                    Ack = _counters.AckLatency.ToSparse(),
                }, WorkerJson.Default.WorkerHistograms));
                break;
            case "reset":
                _counters.ResetTraffic();
                Reply(Stats());
                break;
            case "open-loop":
                await StopSendingAsync();
                _sending = true;
                _sendTask = Task.Factory.StartNew(() => OpenLoop(command), TaskCreationOptions.LongRunning);
                Reply(Stats());
                break;
            case "closed-loop":
                await StopSendingAsync();
                StartClosedLoop(command);
                Reply(Stats());
                break;
            case "stop":
                await StopSendingAsync();
                Reply(Stats());
                break;
            case "close":
                await StopSendingAsync();
                CloseAll();
                Reply(Stats());
                return false;
            default:
                await Console.Error.WriteLineAsync($"worker: unknown command {command.Cmd}");
                Reply(Stats());
                break;
        }

        return true;
    }

    private static void Reply(WorkerStats stats) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(stats, WorkerJson.Default.WorkerStats));

    private WorkerStats Stats()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return new WorkerStats
        {
            Worker = _config.Worker,
            Opened = Volatile.Read(ref _counters.Opened),
            Joined = Volatile.Read(ref _counters.Joined),
            Failed = Volatile.Read(ref _counters.Failed),
            Lost = Volatile.Read(ref _counters.Lost),
            Sent = Volatile.Read(ref _counters.Sent),
            Acked = Volatile.Read(ref _counters.Acked),
            SendErrors = Volatile.Read(ref _counters.SendErrors),
            Delivered = Volatile.Read(ref _counters.Delivered),
            HeartbeatsSent = Volatile.Read(ref _counters.HeartbeatsSent),
            Opening = _opening,
            Sending = _sending,
            MaxSendLagMicros = Volatile.Read(ref _counters.MaxSendLagMicros),
            FirstSendTicks = Volatile.Read(ref _counters.FirstSendTicks),
            LastDeliveryTicks = Volatile.Read(ref _counters.LastDeliveryTicks),
            LastAckTicks = Volatile.Read(ref _counters.LastAckTicks),
            CpuSeconds = cpu,
            MaxPresenceCount = Volatile.Read(ref _counters.MaxPresenceCount),
            Errors = _counters.Errors,
        };
    }

    private async Task OpenAllAsync()
    {
        var local = IPAddress.Parse(_config.LocalAddress);
        var server = new IPEndPoint(IPAddress.Parse(_config.Host), _config.Port);
        var next = -1;
        async Task Lane()
        {
            int index;
            while (!_closing && (index = Interlocked.Increment(ref next)) < _clients.Length)
            {
                var socket = _config.FirstSocket + index;
                var rooms = new string[_config.Layout.RoomsPerSocket];
                for (var j = 0; j < rooms.Length; j++)
                {
                    rooms[j] = RoomNames.Get(_config.Layout, _config.Layout.RoomOf(socket, j));
                }

                var userId = socket + 1;
                var token = Tokens.Mint(_config.SigningKey, userId, $"bench{userId}");
                string? error = null;
                for (var attempt = 0; attempt < 4 && !_closing; attempt++)
                {
                    var client = new ClientSession(userId, token, rooms, _protocol, _counters, _config.ContentBytes);
                    error = await client.OpenAsync(local, server, TimeSpan.FromSeconds(60));
                    if (error is null)
                    {
                        _clients[index] = client;
                        break;
                    }

                    // Refusals are final; a reset or a full backlog under a connect storm is not.
                    if (!IsTransient(error))
                    {
                        break;
                    }

                    await Task.Delay(200 * (attempt + 1));
                }

                if (error is not null)
                {
                    Interlocked.Increment(ref _counters.Failed);
                    _counters.Note(error);
                }
            }
        }

        var lanes = Enumerable.Range(0, Math.Min(_config.Concurrency, _clients.Length)).Select(_ => Lane()).ToArray();
        await Task.WhenAll(lanes);
        _opening = false;
    }

    private static bool IsTransient(string error) =>
        error.Contains("reset", StringComparison.OrdinalIgnoreCase)
        || error.Contains("refused", StringComparison.OrdinalIgnoreCase) && !error.Contains("upgrade refused", StringComparison.Ordinal)
        || error.Contains("timed out", StringComparison.OrdinalIgnoreCase)
        || error.Contains("Cannot assign", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Message i leaves at start + i / rate, whatever the replies do: a server that falls behind
    /// shows as latency, not as a lower offered rate. Senders take turns; a sender in several
    /// rooms takes its rooms in turn too. The stamp is the actual send time, and how late the
    /// loop ran against its schedule is reported (a late loop means the client, not the server,
    /// was short of CPU).
    /// </summary>
    private void OpenLoop(WorkerCommand command)
    {
        try
        {
            var senders = Senders(command.Senders);
            if (senders.Count == 0 || command.Rate <= 0)
            {
                return;
            }

            var rooms = senders[0].RoomCount;
            var frequency = (double)Stopwatch.Frequency;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(command.Seconds * frequency);
            long i = 0;
            while (!_stopSending)
            {
                var due = start + (long)(i / command.Rate * frequency);
                if (due >= end)
                {
                    break;
                }

                var now = Stopwatch.GetTimestamp();
                if (now < due)
                {
                    // Sleep rather than spin: the workers share one core with each other.
                    var wait = (due - now) / frequency;
                    Thread.Sleep(wait > 0.002 ? TimeSpan.FromSeconds(wait - 0.001) : TimeSpan.FromMilliseconds(1));
                    continue;
                }

                Histogram.AtomicMax(ref _counters.MaxSendLagMicros, Stamp.MicrosSince(due, now));
                var turn = i / rooms;
                var sender = senders[(int)(turn % senders.Count)];
                if (sender.IsOpen)
                {
                    sender.SendMessage((int)(i % rooms));
                }

                i++;
            }
        }
        finally
        {
            _sending = false;
        }
    }

    /// <summary>Each sender keeps <c>InFlight</c> sends unanswered until the time is up; the answers drive the next sends.</summary>
    private void StartClosedLoop(WorkerCommand command)
    {
        var senders = Senders(command.Senders);
        var deadline = Stopwatch.GetTimestamp() + (long)(command.Seconds * Stopwatch.Frequency);
        _sending = true;
        var active = senders.Count;
        foreach (var sender in senders)
        {
            var rooms = sender.RoomCount;
            var turn = 0;
            sender.OnAnswered = s =>
            {
                if (!_stopSending && Stopwatch.GetTimestamp() < deadline && s.IsOpen)
                {
                    s.SendMessage(turn++ % rooms);
                }
                else if (Volatile.Read(ref s.InFlight) <= 0 && Interlocked.Decrement(ref active) == 0)
                {
                    _sending = false;
                }
            };
        }

        foreach (var sender in senders)
        {
            for (var k = 0; k < command.InFlight; k++)
            {
                sender.SendMessage(k % sender.RoomCount);
            }
        }

        _sendTask = Task.Run(async () =>
        {
            while (!_stopSending && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50);
            }

            // Give the last answers a moment; senders whose sockets died never answer.
            var grace = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            while (_sending && !_stopSending && Stopwatch.GetTimestamp() < grace)
            {
                await Task.Delay(50);
            }

            foreach (var sender in senders)
            {
                sender.OnAnswered = null;
            }

            _sending = false;
        });
    }

    private List<ClientSession> Senders(int count)
    {
        var open = _clients.Where(c => c is { IsOpen: true }).Select(c => c!);
        return (count < 0 ? open : open.Take(count)).ToList();
    }

    private async Task StopSendingAsync()
    {
        _stopSending = true;
        await _sendTask;
        _stopSending = false;
        _sending = false;
    }

    /// <summary>
    /// One thread for every socket's keep-alive: each socket has a slot in the period, so the
    /// heartbeats are spread evenly. Slots follow the clock, not a count of ticks, so a busy
    /// core delays them without stretching the period past the server's idle timeout.
    /// </summary>
    private void HeartbeatLoop()
    {
        if (_protocol.HeartbeatPeriod is not { } period || !_config.Heartbeats)
        {
            return;
        }

        var tick = TimeSpan.FromMilliseconds(250);
        var slots = Math.Max(1, (int)(period / tick));
        var start = Stopwatch.GetTimestamp();
        long nextSlot = 0;
        while (!_closing)
        {
            Thread.Sleep(tick);
            var due = (long)(Stopwatch.GetElapsedTime(start) / tick);
            for (var absolute = Math.Max(nextSlot, due - slots + 1); absolute <= due; absolute++)
            {
                for (var i = (int)(absolute % slots); i < _clients.Length; i += slots)
                {
                    if (_clients[i] is { IsOpen: true } client)
                    {
                        client.SendHeartbeat();
                    }
                }
            }

            nextSlot = due + 1;
        }
    }

    private void CloseAll()
    {
        _closing = true;
        foreach (var client in _clients)
        {
            client?.Close();
        }
    }
}
