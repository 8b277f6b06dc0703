using System.Diagnostics;
using System.Text.Json;
using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Coordinator;

/// <summary>One worker process and its command channel: a JSON line in, a JSON line back.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private WorkerProcess(Process process, WorkerConfig config)
    {
        _process = process;
        Config = config;
    }

    public WorkerConfig Config { get; }

    public int Pid => _process.Id;

    public static async Task<WorkerProcess> StartAsync(WorkerConfig config, Pinning pinning)
    {
        var self = Environment.ProcessPath!;
        var command = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(self);
            command.Add(typeof(WorkerProcess).Assembly.Location);
        }
        else
        {
            command.Add(self);
        }

        command.Add("worker");
        var start = pinning.StartInfo(pinning.ClientCpus, command);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = false;
        // Receives complete on the socket engine's thread: no hop through the thread pool per read.
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        start.Environment["DOTNET_TieredPGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a worker");
        var worker = new WorkerProcess(process, config);
        await worker.ExchangeAsync(new WorkerCommand { Cmd = "config", Config = config });
        return worker;
    }

    public Task<WorkerStats> CommandAsync(string cmd) => CommandAsync(new WorkerCommand { Cmd = cmd });

    public async Task<WorkerStats> CommandAsync(WorkerCommand command) =>
        JsonSerializer.Deserialize(await ExchangeAsync(command), WorkerJson.Default.WorkerStats)!;

    public async Task<WorkerHistograms> HistogramsAsync() =>
        JsonSerializer.Deserialize(await ExchangeAsync(new WorkerCommand { Cmd = "histograms" }), WorkerJson.Default.WorkerHistograms)!;

    private async Task<string> ExchangeAsync(WorkerCommand command)
    {
        await _oneAtATime.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command, WorkerJson.Default.WorkerCommand));
            await _process.StandardInput.FlushAsync();
            var read = _process.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(60))) != read)
            {
                throw new TimeoutException($"worker {Config.Worker} did not answer {command.Cmd}");
            }

            return await read ?? throw new IOException($"worker {Config.Worker} exited (exit code {(_process.HasExited ? _process.ExitCode : -1)})");
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await ExchangeAsync(new WorkerCommand { Cmd = "close" });
            }
            catch (Exception error) when (error is IOException or TimeoutException or InvalidOperationException)
            {
                // Gone or stuck: killed below.
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _oneAtATime.Dispose();
    }
}
