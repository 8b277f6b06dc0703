namespace Chat.Channels.Internal;

/// <summary>
/// Maps topics to channel types. A pattern is either an exact topic (<c>chat:lobby</c>) or a
/// prefix ending in <c>*</c> (<c>room:*</c>); the first route that matches wins, as in Phoenix.
/// </summary>
internal sealed class ChannelRouter
{
    private readonly List<(string Pattern, Type ChannelType)> _routes = [];

    public IReadOnlyList<(string Pattern, Type ChannelType)> Routes => _routes;

    public void Add(string pattern, Type channelType)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (pattern.IndexOf('*') is var star && star >= 0 && star != pattern.Length - 1)
        {
            throw new ArgumentException($"'*' may only end a topic pattern: \"{pattern}\".", nameof(pattern));
        }

        if (!typeof(Channel).IsAssignableFrom(channelType) || channelType.IsAbstract)
        {
            throw new ArgumentException($"{channelType} is not a concrete Channel.", nameof(channelType));
        }

        _routes.Add((pattern, channelType));
    }

    public Type? Match(string topic) => MatchRoute(topic)?.ChannelType;

    /// <summary>The first route that matches, with its pattern: what metrics name a channel by.</summary>
    public (string Pattern, Type ChannelType)? MatchRoute(string topic)
    {
        foreach (var (pattern, channelType) in _routes)
        {
            var matches = pattern[^1] == '*'
                ? topic.AsSpan().StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
                : string.Equals(topic, pattern, StringComparison.Ordinal);
            if (matches)
            {
                return (pattern, channelType);
            }
        }

        return null;
    }
}
