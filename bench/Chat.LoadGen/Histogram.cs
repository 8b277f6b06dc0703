using System.Numerics;

namespace Chat.LoadGen;

/// <summary>
/// A latency histogram in microseconds, after HdrHistogram: log-linear buckets (128 per power
/// of two, so every value is kept to within 0.8 %), recorded into without allocation or locks
/// from any thread, and merged across worker processes in its sparse form.
/// </summary>
public sealed class Histogram
{
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits; // 128
    private const int Exponents = 40;                  // up to 2^46 µs: far beyond any run
    private const int BucketCount = SubBuckets * Exponents;

    private readonly long[] _counts = new long[BucketCount];
    private long _max;

    public long Count
    {
        get
        {
            long total = 0;
            foreach (var count in _counts)
            {
                total += count;
            }

            return total;
        }
    }

    /// <summary>The largest value recorded, exactly.</summary>
    public long Max => Volatile.Read(ref _max);

    public void Record(long micros)
    {
        if (micros < 0)
        {
            micros = 0;
        }

        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        AtomicMax(ref _max, micros);
    }

    /// <summary>Raises <paramref name="field"/> to <paramref name="value"/> if that is larger, from any thread.</summary>
    public static void AtomicMax(ref long field, long value)
    {
        var seen = Volatile.Read(ref field);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref field, value, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    /// <summary>The value at percentile <paramref name="percent"/> (0–100), as the middle of its bucket; null when empty.</summary>
    public double? Percentile(double percent)
    {
        var total = Count;
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percent / 100 * total));
        if (rank >= total)
        {
            return Max; // the top value is known exactly
        }

        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(ValueOf(i), Max);
            }
        }

        return Max;
    }

    public void Merge(Histogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        _max = Math.Max(_max, other._max);
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Volatile.Write(ref _max, 0);
    }

    /// <summary>Sparse form for JSON: index, count, index, count, …, then the exact max last.</summary>
    public long[] ToSparse()
    {
        var pairs = new List<long>();
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] != 0)
            {
                pairs.Add(i);
                pairs.Add(_counts[i]);
            }
        }

        pairs.Add(Max);
        return [.. pairs];
    }

    public static Histogram FromSparse(long[] sparse)
    {
        var histogram = new Histogram();
        for (var i = 0; i + 1 < sparse.Length; i += 2)
        {
            histogram._counts[sparse[i]] += sparse[i + 1];
        }

        histogram._max = sparse.Length % 2 == 1 ? sparse[^1] : 0;
        return histogram;
    }

    internal static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        // value has (log2 + 1) bits; keep its top SubBucketBits + 1 bits.
        var exponent = BitOperations.Log2((ulong)value) - SubBucketBits + 1;
        var sub = (int)(value >> exponent) - SubBuckets / 2;
        var index = exponent * SubBuckets + sub;
        return Math.Min(index, BucketCount - 1);
    }

    internal static double ValueOf(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var exponent = index / SubBuckets;
        var sub = index % SubBuckets + SubBuckets / 2;
        return (sub + 0.5) * Math.Pow(2, exponent);
    }
}
