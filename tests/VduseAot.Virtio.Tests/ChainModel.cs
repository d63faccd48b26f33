using System;
using VduseAot.Testing;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>The property tests' model of a walked chain: error, descriptors walked, and segments that cover each buffer split at region ends.</summary>
internal static unsafe class ChainModel
{
    public static void Check(GuestRam ram, DescriptorChain chain, ChainError error, int walked, Buf[]? bufs)
    {
        Assert.Equal(error, chain.Error);
        Assert.Equal(walked, chain.DescriptorCount);
        if (bufs == null)
        {
            return;
        }

        int r = 0, w = 0;
        ulong readable = 0, writable = 0;
        foreach (Buf b in bufs)
        {
            if (b.DeviceWrites)
            {
                w = Covers(ram, chain.Writable, chain.WritableCount, w, b);
                writable += b.Length;
            }
            else
            {
                r = Covers(ram, chain.Readable, chain.ReadableCount, r, b);
                readable += b.Length;
            }
        }

        Assert.Equal(chain.ReadableCount, r);
        Assert.Equal(chain.WritableCount, w);
        Assert.Equal(readable, chain.ReadableBytes);
        Assert.Equal(writable, chain.WritableBytes);
    }

    private static int Covers(GuestRam ram, ReadOnlySpan<IoSegment> segs, int count, int i, Buf b)
    {
        ulong off = 0;
        while (off < b.Length)
        {
            Assert.True(i < count);
            Assert.True(ram.Host(b.Iova + off) == segs[i].Host);
            ulong regionLeft = ram.RegionSize - ((b.Iova + off - ram.Base) % ram.RegionSize);
            Assert.Equal(Math.Min(regionLeft, b.Length - off), segs[i].Length);
            off += segs[i].Length;
            i++;
        }

        return i;
    }
}
