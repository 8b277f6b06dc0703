using System.Runtime.InteropServices;

namespace Chat.Server.Memory;

/// <summary>
/// The C library's heap, which the runtime, the socket layer and SQLite allocate from: after a
/// burst, glibc keeps what they freed in its arenas for reuse, and gives back only what lies at
/// the top of each. After 10,000 sockets closed, 18 MiB of the 34 MiB it held was free, and
/// 13 MiB of it stayed resident until <c>malloc_trim</c> (docs/benchmarks.md).
/// </summary>
internal static class NativeHeap
{
    // Set once the C library turns out not to have malloc_trim (musl, or not Linux): never asked again.
    private static volatile bool _unsupported = !OperatingSystem.IsLinux();

    /// <summary>
    /// Asks glibc to give every free page of every arena back to the system. False where the C
    /// library has no such call; the heap then stays as the C library keeps it.
    /// </summary>
    public static bool Trim()
    {
        if (_unsupported)
        {
            return false;
        }

        try
        {
            // 0: keep no spare room at the top of the main heap; the return value only says
            // whether anything was released, which the working set shows better.
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            _unsupported = true;
            return false;
        }
    }

    // DllImport rather than LibraryImport, whose generated stubs would need unsafe code here.
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
