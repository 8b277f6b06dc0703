using System.Net.Sockets;
using System.Text;

namespace Chat.Channels.Tests;

/// <summary>Runs alone: it takes every file descriptor the process may open for a moment.</summary>
[CollectionDefinition(nameof(FileDescriptorExhaustion), DisableParallelization = true)]
public sealed class FileDescriptorExhaustion;

/// <summary>
/// The own transport's accept loop when the process runs out of file descriptors (EMFILE): the
/// server must not stop accepting for good, and must take the connections that waited once
/// descriptors are free again. Production runs with 20,000.
/// </summary>
[Collection(nameof(FileDescriptorExhaustion))]
public sealed class TcpAcceptExhaustionTests
{
    /// <summary>Sets this process's soft limit on open files (prlimit(1), so the test needs no native code).</summary>
    private static async Task SetOpenFilesLimitAsync(string soft)
    {
        using var prlimit = System.Diagnostics.Process.Start("prlimit", $"--pid {Environment.ProcessId} --nofile={soft}:")!;
        await prlimit.WaitForExitAsync();
        Assert.Equal(0, prlimit.ExitCode);
    }

    [Fact]
    public async Task The_server_accepts_again_once_descriptors_are_free()
    {
        Assert.True(OperatingSystem.IsLinux(), "The test lowers the process's descriptor limit (Linux).");
        await using var server = await TcpHttpServer.StartAsync(ownSockets: true);
        using var waiting = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var original = File.ReadLines("/proc/self/limits").Single(line => line.StartsWith("Max open files", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        var fillers = new List<FileStream>();
        try
        {
            // A few above what is open now, then filled: the next accept fails with EMFILE.
            var open = Directory.GetFiles("/proc/self/fd").Length;
            await SetOpenFilesLimitAsync((open + 16).ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                while (true)
                {
                    fillers.Add(new FileStream("/dev/null", FileMode.Open, FileAccess.Read));
                }
            }
            catch (IOException)
            {
                // Out of descriptors.
            }

            // The kernel completes the handshake; the server cannot accept it yet.
            await waiting.ConnectAsync(server.Address.Host, server.Address.Port);
            await TcpHttpServer.SendAsync(waiting, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            await Task.Delay(500);
        }
        finally
        {
            fillers.ForEach(filler => filler.Dispose());
            await SetOpenFilesLimitAsync(original);
        }

        var response = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(waiting, TimeSpan.FromSeconds(15)));
        using var next = await server.ConnectAsync();
        await TcpHttpServer.SendAsync(next, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var nextResponse = Encoding.ASCII.GetString(await TcpHttpServer.ReadToEndAsync(next, TimeSpan.FromSeconds(15)));

        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.StartsWith("HTTP/1.1 200", nextResponse);
    }
}
