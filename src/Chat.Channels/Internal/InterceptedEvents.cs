using System.Collections.Concurrent;

namespace Chat.Channels.Internal;

/// <summary>
/// The events a channel intercepts (<see cref="Channel.Intercepts"/>), as the fastlane asks
/// for them on every delivery. Shared by every channel of one type that intercepts the same
/// events: a set of its own per joined channel was about 200 bytes of every idle channel.
/// </summary>
internal sealed class InterceptedEvents
{
    // Up to this many, a scan of an array beats hashing the event name.
    private const int ScanLimit = 8;

    // The last set each channel type asked for: channels of one type nearly always intercept the same events.
    private static readonly ConcurrentDictionary<Type, InterceptedEvents> LastByType = new();

    private readonly string[] _events;
    private readonly HashSet<string>? _set;

    private InterceptedEvents(string[] events)
    {
        _events = events;
        _set = events.Length > ScanLimit ? new HashSet<string>(events, StringComparer.Ordinal) : null;
    }

    /// <summary>The intercepted events of a channel of <paramref name="channelType"/>; null when it intercepts none.</summary>
    public static InterceptedEvents? For(Type channelType, IReadOnlyCollection<string> events)
    {
        if (events.Count == 0)
        {
            return null;
        }

        if (LastByType.TryGetValue(channelType, out var last) && last.IsExactly(events))
        {
            return last;
        }

        var created = new InterceptedEvents([.. events]);
        LastByType[channelType] = created;
        return created;
    }

    public bool Contains(string @event)
    {
        if (_set is not null)
        {
            return _set.Contains(@event);
        }

        foreach (var intercepted in _events)
        {
            if (string.Equals(intercepted, @event, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsExactly(IReadOnlyCollection<string> events) =>
        events.Count == _events.Length && events.SequenceEqual(_events, StringComparer.Ordinal);
}
