using System.Diagnostics.CodeAnalysis;

namespace Chat.Channels.Internal;

/// <summary>
/// A socket's few assigns, copied into one array and looked up by scanning it. A socket lives
/// with its assigns for hours, and the usual one entry (the signed-in user) costs 64 bytes
/// here against about 210 in a <see cref="Dictionary{TKey, TValue}"/>.
/// </summary>
internal sealed class SmallAssigns : IReadOnlyDictionary<string, object?>
{
    /// <summary>Up to this many, a scan is as fast as hashing the key.</summary>
    public const int MaxCount = 8;

    private readonly KeyValuePair<string, object?>[] _entries;

    public SmallAssigns(IReadOnlyDictionary<string, object?> assigns)
    {
        _entries = [.. assigns];
    }

    public int Count => _entries.Length;

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object?> Values => _entries.Select(e => e.Value);

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No assign '{key}'.");

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_entries).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
