namespace Chat.Channels.Internal;

/// <summary>
/// One socket's joined channels by topic. Not thread-safe: the socket guards it with its lock.
/// </summary>
/// <remarks>
/// Most sockets join a handful of topics, so the channels are kept in a small array and found
/// by comparing topics, which for so few is as fast as hashing; a dictionary (about 210 bytes
/// for one channel, against 56 here) is only made for a socket past <see cref="ScanLimit"/>.
/// </remarks>
internal sealed class ChannelTable
{
    private const int ScanLimit = 16;

    private ChannelProcess?[] _few = new ChannelProcess?[2];
    private int _fewCount;
    private Dictionary<string, ChannelProcess>? _many;

    public int Count => _many?.Count ?? _fewCount;

    public ChannelProcess? Find(string topic)
    {
        if (_many is not null)
        {
            return _many.GetValueOrDefault(topic);
        }

        var index = IndexOf(topic);
        return index < 0 ? null : _few[index];
    }

    /// <summary>Adds or replaces the channel of <paramref name="process"/>'s topic.</summary>
    public void Set(ChannelProcess process)
    {
        if (_many is not null)
        {
            _many[process.Topic] = process;
            return;
        }

        var index = IndexOf(process.Topic);
        if (index >= 0)
        {
            _few[index] = process;
            return;
        }

        if (_fewCount == ScanLimit)
        {
            _many = new Dictionary<string, ChannelProcess>(ScanLimit * 2, StringComparer.Ordinal);
            foreach (var existing in _few.AsSpan(0, _fewCount))
            {
                _many[existing!.Topic] = existing;
            }

            _many[process.Topic] = process;
            _few = [];
            _fewCount = 0;
            return;
        }

        if (_fewCount == _few.Length)
        {
            Array.Resize(ref _few, Math.Clamp(_few.Length * 2, 2, ScanLimit));
        }

        _few[_fewCount++] = process;
    }

    /// <summary>Removes <paramref name="process"/>, unless another channel has taken its topic since.</summary>
    public void Remove(ChannelProcess process)
    {
        if (_many is not null)
        {
            if (_many.TryGetValue(process.Topic, out var current) && ReferenceEquals(current, process))
            {
                _many.Remove(process.Topic);
            }

            return;
        }

        var index = IndexOf(process.Topic);
        if (index >= 0 && ReferenceEquals(_few[index], process))
        {
            // Order does not matter: the last one takes the freed place.
            _fewCount--;
            _few[index] = _few[_fewCount];
            _few[_fewCount] = null;
        }
    }

    /// <summary>Empties the table and returns what it held.</summary>
    public ChannelProcess[] TakeAll()
    {
        ChannelProcess[] all;
        if (_many is not null)
        {
            all = [.. _many.Values];
        }
        else
        {
            all = new ChannelProcess[_fewCount];
            for (var i = 0; i < _fewCount; i++)
            {
                all[i] = _few[i]!;
            }
        }

        _many = null;
        _few = [];
        _fewCount = 0;
        return all;
    }

    private int IndexOf(string topic)
    {
        for (var i = 0; i < _fewCount; i++)
        {
            if (string.Equals(_few[i]!.Topic, topic, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
