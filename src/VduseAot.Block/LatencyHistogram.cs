using System;
using System.Numerics;

namespace VduseAot.Block;

/// <summary>
/// Request latencies in a log-linear histogram (HDR style): values below 2^<see cref="SubBucketBits"/>
/// have a bucket each; above, every power of two is split into 2^<see cref="SubBucketBits"/> equal
/// buckets, so a bucket is at most 1/32 (3.1 %) of its values wide. The counts live in one array
/// allocated at construction: <see cref="Record"/> is an index computation and three stores, with no
/// allocation and no lock. One writer (the queue thread); readers on other threads read racily and
/// may see a count one request ahead of another, which statistics can live with.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Linear sub-buckets per power of two, as a bit count (32 sub-buckets).</summary>
    public const int SubBucketBits = 5;

    private const int SubBuckets = 1 << SubBucketBits;

    /// <summary>Buckets covering every non-negative long: the linear part plus one group per power of two above it.</summary>
    public const int BucketCount = (64 - SubBucketBits) * SubBuckets;

    private readonly ulong[] _counts = new ulong[BucketCount];

    /// <summary>Values recorded.</summary>
    public ulong Count { get; private set; }

    /// <summary>Largest value recorded (0 when empty).</summary>
    public long Max { get; private set; }

    /// <summary>Sum of the values recorded, for the mean.</summary>
    public ulong Sum { get; private set; }

    /// <summary>Records one latency of <paramref name="ticks"/> (Stopwatch ticks); negative values count as 0.</summary>
    public void Record(long ticks)
    {
        long v = ticks < 0 ? 0 : ticks;
        _counts[IndexOf(v)]++;
        Count++;
        Sum += (ulong)v;
        if (v > Max)
        {
            Max = v;
        }
    }

    /// <summary>The bucket of <paramref name="value"/> (non-negative).</summary>
    public static int IndexOf(long value)
    {
        ulong v = (ulong)value;
        if (v < SubBuckets)
        {
            return (int)v;
        }

        // The top SubBucketBits + 1 bits of v pick the bucket: the exponent selects the group, the
        // bits below the leading one select the sub-bucket.
        int msb = 63 - BitOperations.LeadingZeroCount(v);
        int shift = msb - SubBucketBits;
        return ((shift + 1) << SubBucketBits) + (int)((v >> shift) - SubBuckets);
    }

    /// <summary>The smallest value that falls into bucket <paramref name="index"/>.</summary>
    public static long LowestOf(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        int shift = (index >> SubBucketBits) - 1;
        return (long)((ulong)(SubBuckets + (index & (SubBuckets - 1))) << shift);
    }

    /// <summary>The largest value that falls into bucket <paramref name="index"/>.</summary>
    public static long HighestOf(int index) => index == BucketCount - 1 ? long.MaxValue : LowestOf(index + 1) - 1;

    /// <summary>
    /// The value below or at which <paramref name="percent"/> % of the recorded values lie, as the
    /// upper end of its bucket (capped at <see cref="Max"/>): an over-estimate by at most one bucket
    /// width. 0 when empty.
    /// </summary>
    public long Percentile(double percent)
    {
        ulong total = 0;
        foreach (ulong c in _counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0;
        }

        // The rank of the wanted value, 1-based: the smallest that covers percent of the values.
        ulong rank = (ulong)Math.Ceiling(Math.Clamp(percent, 0, 100) / 100 * total);
        rank = Math.Max(rank, 1);
        ulong seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestOf(i), Max);
            }
        }

        return Max;
    }

    /// <summary>
    /// Cumulative counts for a histogram with coarser boundaries (Prometheus' `le`): for each of
    /// <paramref name="bounds"/> (ascending, in ticks), the values in the buckets whose highest value
    /// is at most the bound, written to <paramref name="counts"/>. A bucket straddling a bound counts
    /// only for the next bound, so every count is exact or low by at most that one bucket (a 32nd of
    /// the bound). Returns the count over all buckets, which a racy reader must use as the total
    /// rather than <see cref="Count"/> so the counts never exceed it.
    /// </summary>
    public ulong CountAtOrBelow(ReadOnlySpan<long> bounds, Span<ulong> counts)
    {
        if (counts.Length < bounds.Length)
        {
            throw new ArgumentException("counts is shorter than bounds", nameof(counts));
        }

        ulong seen = 0;
        int b = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            long highest = HighestOf(i);
            while (b < bounds.Length && highest > bounds[b])
            {
                counts[b++] = seen;
            }

            seen += _counts[i];
        }

        while (b < bounds.Length)
        {
            counts[b++] = seen;
        }

        return seen;
    }

    /// <summary>Adds <paramref name="other"/>'s values (a racy copy when its writer is running).</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Max = Math.Max(Max, other.Max);
    }
}
