using System.Collections.Generic;
using System.Runtime.InteropServices;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// The IOTLB cache against a mapper of its own: region k is 4 KiB at IOVA k * 64 KiB (read-only when
/// k is a multiple of 7), backed by native memory that an unmap frees, and every unmap is recorded.
/// </summary>
public sealed unsafe class IotlbCacheTests
{
    private const ulong Stride = 64 * 1024;
    private const uint RegionBytes = 4096;

    private sealed class Mapper : IIotlbMapper
    {
        public List<ulong> Unmapped { get; } = new();

        public int Maps { get; private set; }

        public bool Map(ulong iova, out IotlbRegion region)
        {
            region = default;
            ulong k = iova / Stride;
            if (iova - (k * Stride) >= RegionBytes)
            {
                return false; // the gap between regions: nothing mapped there
            }

            Maps++;
            byte* host = (byte*)NativeMemory.AllocZeroed(RegionBytes);
            region = new IotlbRegion { Start = k * Stride, Last = (k * Stride) + RegionBytes - 1, Host = host, Readable = true, Writable = k % 7 != 0 };
            return true;
        }

        public void Unmap(in IotlbRegion region)
        {
            Unmapped.Add(region.Start);
            NativeMemory.Free(region.Host);
        }
    }

    [Fact]
    public void Regions_beyond_64_never_unmap_the_ones_requests_still_use()
    {
        var mapper = new Mapper();
        var cache = new IotlbCache(mapper);

        // "In flight": pointers into the first ten regions, written as a request's data would be.
        var held = new byte*[10];
        for (int k = 0; k < held.Length; k++)
        {
            held[k] = cache.Translate(((ulong)k * Stride) + 100, 512, write: false, out uint n);
            Assert.True(held[k] != null && n == 512);
        }

        for (int k = 10; k < 300; k++)
        {
            Assert.True(cache.Translate(((ulong)k * Stride) + 8, 64, write: false, out _) != null, "region " + k);
        }

        Assert.Empty(mapper.Unmapped);
        Assert.Equal(300, cache.Count);
        for (int k = 0; k < held.Length; k++)
        {
            held[k][0] = (byte)k; // still mapped: the request's buffer is where it was
            Assert.True(cache.Translate(((ulong)k * Stride) + 100, 1, write: false, out _) == held[k]);
        }

        Assert.Equal(300, mapper.Maps); // every one after its first miss is a hit
        cache.Clear();
        Assert.Equal(300, mapper.Unmapped.Count);
    }

    [Fact]
    public void A_full_cache_fails_the_new_region_and_keeps_the_others()
    {
        var mapper = new Mapper();
        var cache = new IotlbCache(mapper);
        for (int k = 0; k < IotlbCache.MaxRegions; k++)
        {
            Assert.True(cache.Translate((ulong)k * Stride, 1, false, out _) != null);
        }

        Assert.True(cache.Translate((ulong)IotlbCache.MaxRegions * Stride, 1, false, out _) == null);
        Assert.Equal(1, cache.Overflows);
        Assert.Equal([(ulong)IotlbCache.MaxRegions * Stride], mapper.Unmapped);
        Assert.True(cache.Translate(5 * Stride, 1, false, out _) != null);
        cache.Clear();
    }

    [Fact]
    public void Translation_stops_at_the_region_end_and_honours_its_access()
    {
        var mapper = new Mapper();
        var cache = new IotlbCache(mapper);
        Assert.True(cache.Translate(Stride + RegionBytes - 100, 4096, write: true, out uint n) != null);
        Assert.Equal(100u, n); // the caller splits the rest
        Assert.True(cache.Translate(7 * Stride, 16, write: true, out _) == null); // region 7 is read-only
        Assert.True(cache.Translate(7 * Stride, 16, write: false, out _) != null);
        Assert.True(cache.Translate((2 * Stride) + RegionBytes, 16, write: false, out _) == null); // unmapped IOVA
        cache.Clear();
    }

    [Fact]
    public void An_update_drops_exactly_the_regions_it_overlaps()
    {
        var mapper = new Mapper();
        var cache = new IotlbCache(mapper);
        for (int k = 0; k < 8; k++)
        {
            Assert.True(cache.Translate((ulong)k * Stride, 1, false, out _) != null);
        }

        Assert.True(cache.Overlaps((2 * Stride) + 10, (4 * Stride) + 1));
        Assert.False(cache.Overlaps((2 * Stride) + RegionBytes, (3 * Stride) - 1)); // the gap between two regions
        Assert.False(cache.Overlaps(100 * Stride, ulong.MaxValue)); // memory the queue never used
        Assert.Equal(3, cache.Invalidate((2 * Stride) + 10, (4 * Stride) + 1));
        Assert.Equal([2 * Stride, 3 * Stride, 4 * Stride], mapper.Unmapped);
        Assert.Equal(5, cache.Count);
        int maps = mapper.Maps;
        Assert.True(cache.Translate(5 * Stride, 1, false, out _) != null);
        Assert.True(cache.Translate(1 * Stride, 1, false, out _) != null);
        Assert.Equal(maps, mapper.Maps); // the others were kept
        Assert.True(cache.Translate(3 * Stride, 1, false, out _) != null);
        Assert.Equal(maps + 1, mapper.Maps); // a dropped one is mapped again on use
        cache.Clear();
    }
}
