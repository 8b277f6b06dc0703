using System.Collections.Concurrent;

namespace Chat.LoadGen.Worker;

/// <summary>One string per room name, shared by every member's session.</summary>
internal static class RoomNames
{
    private static readonly ConcurrentDictionary<int, string> Names = new();

    public static string Get(RoomLayout layout, int room) => Names.GetOrAdd(room, layout.RoomName);
}
