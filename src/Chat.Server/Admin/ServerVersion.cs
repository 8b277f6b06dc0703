using System.Reflection;

namespace Chat.Server.Admin;

/// <summary>The server's version, as the build stamped it.</summary>
internal static class ServerVersion
{
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
