using System.Runtime.InteropServices;

namespace Chat.Persistence;

/// <summary>
/// Creates the files and directories that hold secrets (password hashes, the signing key) with
/// permissions for their owner alone, whatever the process's umask, and writes them durably.
/// </summary>
public static class OwnerOnlyFiles
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    /// <summary>Creates a directory (and its missing parents) readable by its owner only; an existing one is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerAll);
        }
    }

    /// <summary>Creates an empty file readable by its owner only; false when it exists already.</summary>
    public static bool TryCreateEmptyFile(string path)
    {
        try
        {
            new FileStream(path, Options(FileMode.CreateNew)).Dispose();
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="contents"/> to a new file at <paramref name="path"/>, or returns
    /// false when one is there already: written aside, flushed to disk, then renamed into
    /// place and the rename flushed too, so that after a power loss the file is either
    /// whole or absent, never empty.
    /// </summary>
    public static bool TryCreateDurably(string path, ReadOnlySpan<byte> contents)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, Options(FileMode.Create)))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }

        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return true;
    }

    private static FileStreamOptions Options(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        return options;
    }

    /// <summary>A rename is durable only once its directory is flushed; .NET cannot open a directory, so libc does it.</summary>
    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        const int ReadOnly = 0;
        const int DirectoryOnly = 0x10000;
        var descriptor = Open(directory, ReadOnly | DirectoryOnly);
        if (descriptor < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(descriptor);
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    // DllImport rather than LibraryImport, whose generated stubs would need unsafe code here.
    [DllImport("libc", EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);
}
