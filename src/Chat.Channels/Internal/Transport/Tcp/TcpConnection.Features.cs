using System.Buffers;
using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Chat.Channels.Internal.Transport.Tcp;

/// <summary>
/// The connection is its own feature collection: the transport's features are the connection
/// itself, and what Kestrel adds (its heartbeat, completion and lifetime notification features)
/// goes into a small array. A dictionary per connection would cost more than all of them.
/// </summary>
internal sealed partial class TcpConnection : IFeatureCollection,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature,
    IConnectionEndPointFeature, IConnectionSocketFeature, IMemoryPoolFeature
{
    private KeyValuePair<Type, object>[]? _added;
    private int _addedCount;
    private int _revision;

    public MemoryPool<byte> MemoryPool => Pool;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get => GetFeature(key);
        set => SetFeature(key, value);
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)GetFeature(typeof(TFeature));

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => SetFeature(typeof(TFeature), instance);

    private static bool IsOwn(Type key) =>
        key == typeof(IConnectionIdFeature) || key == typeof(IConnectionTransportFeature)
        || key == typeof(IConnectionItemsFeature) || key == typeof(IConnectionLifetimeFeature)
        || key == typeof(IConnectionEndPointFeature) || key == typeof(IConnectionSocketFeature)
        || key == typeof(IMemoryPoolFeature);

    private object? GetFeature(Type key)
    {
        lock (Gate)
        {
            // What was set over a feature of our own wins, as in any feature collection.
            for (var i = 0; i < _addedCount; i++)
            {
                if (_added![i].Key == key)
                {
                    return _added[i].Value;
                }
            }
        }

        return IsOwn(key) ? this : null;
    }

    private void SetFeature(Type key, object? value)
    {
        lock (Gate)
        {
            _revision++;
            for (var i = 0; i < _addedCount; i++)
            {
                if (_added![i].Key != key)
                {
                    continue;
                }

                if (value is null)
                {
                    _added[i] = _added[--_addedCount];
                    _added[_addedCount] = default;
                }
                else
                {
                    _added[i] = new(key, value);
                }

                return;
            }

            if (value is null)
            {
                return;
            }

            if (_added is null || _addedCount == _added.Length)
            {
                Array.Resize(ref _added, Math.Max(4, _addedCount * 2));
            }

            _added[_addedCount++] = new(key, value);
        }
    }

    private void ForgetAddedFeatures()
    {
        lock (Gate)
        {
            _revision++;
            _added = null;
            _addedCount = 0;
        }
    }

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        KeyValuePair<Type, object>[] added;
        lock (Gate)
        {
            added = _added is null ? [] : _added[.._addedCount];
        }

        foreach (var pair in added)
        {
            yield return pair;
        }

        Type[] own = [typeof(IConnectionIdFeature), typeof(IConnectionTransportFeature), typeof(IConnectionItemsFeature),
            typeof(IConnectionLifetimeFeature), typeof(IConnectionEndPointFeature), typeof(IConnectionSocketFeature), typeof(IMemoryPoolFeature)];
        foreach (var key in own)
        {
            if (Array.FindIndex(added, pair => pair.Key == key) < 0)
            {
                yield return new(key, this);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();
}
