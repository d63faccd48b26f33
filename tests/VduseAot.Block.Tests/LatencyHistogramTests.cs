using System;
using System.Linq;
using Xunit;

namespace VduseAot.Block.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Buckets_are_contiguous_and_at_most_a_32nd_of_their_values_wide()
    {
        Assert.Equal(0, LatencyHistogram.IndexOf(0));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.IndexOf(long.MaxValue));
        for (int i = 0; i < LatencyHistogram.BucketCount - 1; i++)
        {
            long low = LatencyHistogram.LowestOf(i);
            long high = LatencyHistogram.HighestOf(i);
            Assert.Equal(high + 1, LatencyHistogram.LowestOf(i + 1));
            Assert.Equal(i, LatencyHistogram.IndexOf(low));
            Assert.Equal(i, LatencyHistogram.IndexOf(high));
            Assert.True(high - low + 1 <= Math.Max(1, low / 32), "bucket " + i + " is " + (high - low + 1) + " wide at " + low);
        }
    }

    [Fact]
    // Optimized from the start: at tier 0 the on-stack replacement of this test's loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the code under test's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Record_allocates_nothing()
    {
        var h = new LatencyHistogram();
        var random = new Random(7);
        long[] values = Enumerable.Range(0, 4096).Select(_ => random.NextInt64(0, 1L << 40)).ToArray();
        foreach (long v in values)
        {
            h.Record(v); // warm up the JIT
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            foreach (long v in values)
            {
                h.Record(v);
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0L, allocated);
        Assert.Equal(101UL * 4096, h.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_are_within_one_bucket_of_the_exact_ones(int seed)
    {
        // Log-normal-ish latencies from 1 us to about 100 ms in nanosecond ticks, plus a few outliers.
        var random = new Random(seed);
        long[] values = new long[20_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (long)Math.Exp(random.NextDouble() * Math.Log(100_000_000.0 / 1000)) * 1000;
        }

        values[^1] = 5_000_000_000;
        var h = new LatencyHistogram();
        foreach (long v in values)
        {
            h.Record(v);
        }

        Array.Sort(values);
        foreach (double p in new[] { 50, 90, 99, 99.9, 100 })
        {
            long exact = values[Math.Max(0, (int)Math.Ceiling(p / 100 * values.Length) - 1)];
            long estimate = h.Percentile(p);
            Assert.True(estimate >= exact, "p" + p + ": " + estimate + " below the exact " + exact);
            Assert.True(estimate - exact <= exact / 32, "p" + p + ": " + estimate + " more than a bucket above " + exact);
        }

        Assert.Equal(5_000_000_000, h.Max);
        Assert.Equal(h.Max, h.Percentile(100));
    }

    [Fact]
    public void Merging_adds_counts_and_keeps_the_larger_max()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        a.Record(-5); // clock oddities count as 0
        b.Record(1000);
        a.Add(b);
        Assert.Equal(3UL, a.Count);
        Assert.Equal(1000, a.Max);
        Assert.Equal(1010UL, a.Sum);
        Assert.Equal(0, a.Percentile(10));
        Assert.Equal(0, new LatencyHistogram().Percentile(99));
    }

    [Fact]
    public void Cumulative_counts_take_a_bucket_only_once_it_lies_wholly_at_or_below_the_bound()
    {
        var h = new LatencyHistogram();
        foreach (long v in new long[] { 0, 5, 31, 1000, 1000, 1023, 5000, 1L << 50 })
        {
            h.Record(v);
        }

        // 1000 lies in the bucket [992, 1007]: a bound of 1000 cuts through it, so it counts only from 1007 on.
        Assert.Equal(992, LatencyHistogram.LowestOf(LatencyHistogram.IndexOf(1000)));
        Assert.Equal(1007, LatencyHistogram.HighestOf(LatencyHistogram.IndexOf(1000)));
        long[] bounds = [0, 31, 1000, 1023, 4999, 100_000];
        var counts = new ulong[bounds.Length];
        Assert.Equal(8UL, h.CountAtOrBelow(bounds, counts));
        Assert.Equal(new ulong[] { 1, 3, 3, 6, 6, 7 }, counts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Cumulative_counts_are_exact_or_low_by_one_bucket(int seed)
    {
        var h = new LatencyHistogram();
        var random = new Random(seed);
        long[] values = Enumerable.Range(0, 20_000).Select(_ => (long)Math.Exp(random.NextDouble() * 25)).ToArray();
        foreach (long v in values)
        {
            h.Record(v);
        }

        long[] bounds = [10, 100, 10_000, 25_000, 1_000_000, 50_000_000, long.MaxValue];
        var counts = new ulong[bounds.Length];
        Assert.Equal((ulong)values.Length, h.CountAtOrBelow(bounds, counts));
        for (int i = 0; i < bounds.Length; i++)
        {
            ulong exact = (ulong)values.Count(v => v <= bounds[i]);
            int straddling = LatencyHistogram.IndexOf(bounds[i]);
            ulong inStraddling = (ulong)values.Count(v => LatencyHistogram.IndexOf(v) == straddling && v <= bounds[i]);
            bool wholly = LatencyHistogram.HighestOf(straddling) <= bounds[i];
            Assert.Equal(wholly ? exact : exact - inStraddling, counts[i]);
            Assert.True(i == 0 || counts[i] >= counts[i - 1]);
        }

        Assert.Equal((ulong)values.Length, counts[^1]);
    }
}
