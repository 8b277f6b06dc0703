namespace Chat.Server.Admin;

/// <summary>
/// Where the control socket of a node lives: a Unix domain socket in its data directory,
/// which is its owner's alone (mode 700), so the file system decides who may use it.
/// </summary>
public static class ControlSocket
{
    public const string FileName = "control.sock";

    /// <summary>The longest path a Unix domain socket may have on Linux (108 bytes with the terminating zero).</summary>
    public const int MaxPathBytes = 107;

    public static string PathFor(string dataDir) => Path.GetFullPath(Path.Combine(dataDir, FileName));

    public static bool FitsInSocketAddress(string path) => System.Text.Encoding.UTF8.GetByteCount(path) <= MaxPathBytes;
}
