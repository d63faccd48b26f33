using System;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>Guest RAM, a fake driver and a started device-side queue over the same rings.</summary>
internal sealed unsafe class QueueRig : IDisposable
{
    public QueueRig(ushort size = 8, ulong ramBytes = 1UL << 20)
    {
        Ram = new GuestRam(ramBytes);
        Driver = new SplitDriver(Ram, size);
        Queue = Driver.CreateQueue();
        Chain = new DescriptorChain(8 * size + 16);
    }

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public SplitQueue<FakeGuestMemory> Queue { get; }

    public DescriptorChain Chain { get; }

    /// <summary>used->idx as the driver would read it.</summary>
    public ushort UsedIdxInMemory => *(ushort*)(Ram.Host(Driver.UsedIova) + 2);

    /// <summary>A fresh buffer in guest RAM.</summary>
    public ulong Buffer(ulong bytes, ulong align = 16) => Ram.Alloc(bytes, align);

    /// <summary>Asserts that segments[0..count) cover [iova, iova+length) starting at segment <paramref name="first"/>, and returns the index after.</summary>
    public int AssertCovers(ReadOnlySpan<IoSegment> segments, int count, int first, ulong iova, uint length)
    {
        ulong offset = 0;
        int i = first;
        while (offset < length)
        {
            Assert.True(i < count, "segments end before the buffer does");
            Assert.True(Ram.Host(iova + offset) == segments[i].Host, "segment " + i + " points at the wrong host address");
            Assert.True(segments[i].Length > 0);
            if (Ram.RegionSize != 0)
            {
                ulong regionLeft = Ram.RegionSize - ((iova + offset - Ram.Base) % Ram.RegionSize);
                Assert.True(segments[i].Length <= regionLeft, "segment crosses a region boundary");
            }

            offset += segments[i].Length;
            i++;
        }

        Assert.Equal((ulong)length, offset);
        return i;
    }

    public void Dispose() => Ram.Dispose();
}
