using System;
using System.IO;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>Request slots live in a mapping whose pages are resident only once a request touched them.</summary>
public sealed unsafe class SlotMemoryTests
{
    private const int Page = 4096;
    private const ushort QueueSize = 256;
    private static readonly int Segments = BlkLimits.SlotSegments(QueueSize);
    private static readonly int SlotBytes = BlkSlot.StorageBytes(Segments, BlkLimits.MaxZeroingSegments);

    /// <summary>Resident pages of <paramref name="memory"/>, and the byte offsets of the first and last one.</summary>
    private static int Resident(SlotMemory memory, out long first, out long last)
    {
        int pages = (int)((memory.Length + Page - 1) / Page);
        byte[] vec = new byte[pages];
        fixed (byte* v = vec)
        {
            Assert.Equal(0, LibC.mincore(memory.Slot(0), (size_t)memory.Length, v));
        }

        int count = 0;
        first = last = -1;
        for (int i = 0; i < pages; i++)
        {
            if ((vec[i] & 1) != 0)
            {
                count++;
                first = first < 0 ? (long)i * Page : first;
                last = (long)i * Page;
            }
        }

        return count;
    }

    [Fact]
    public void A_small_request_touches_a_few_pages_of_its_own_slot_and_nothing_else()
    {
        using var memory = new SlotMemory(QueueSize, SlotBytes);
        var slots = new BlkSlot[QueueSize];
        for (int i = 0; i < QueueSize; i++)
        {
            slots[i] = new BlkSlot((ushort)i, Segments, BlkLimits.MaxZeroingSegments, memory.Slot(i));
        }

        Assert.True(memory.Length >= (ulong)QueueSize * (ulong)SlotBytes);
        Assert.Equal(0, Resident(memory, out _, out _));

        using var ram = new GuestRam(8UL << 20);
        var driver = new SplitDriver(ram, QueueSize);
        var ring = driver.CreateQueue();
        var builder = new BlkRequestBuilder(ram, driver);
        BlkSlot slot = slots[7];
        builder.Add(VirtioBlk.VIRTIO_BLK_T_OUT, 8, 4096);
        driver.Publish();
        Assert.True(ring.TryPop(slot.Chain));
        Assert.True(slot.Request.Parse(slot.Chain), slot.Request.Problem);
        Assert.Equal(1, slot.Request.DataCount);

        // The first page of the readable, writable and data arrays: 12 KiB of the slot's 33.
        int resident = Resident(memory, out long first, out long last);
        Assert.InRange(resident, 1, 3);
        Assert.InRange(first, 7L * SlotBytes / Page * Page, 8L * SlotBytes);
        Assert.InRange(last, first, 8L * SlotBytes);
    }

    [Fact]
    public void Slot_memory_is_not_backed_by_transparent_huge_pages()
    {
        using var memory = new SlotMemory(QueueSize, SlotBytes);
        string start = ((ulong)memory.Slot(0)).ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "-";
        string[] smaps = File.ReadAllLines("/proc/self/smaps");
        int at = Array.FindIndex(smaps, l => l.StartsWith(start, StringComparison.Ordinal));
        Assert.True(at >= 0, "no mapping at " + start);
        int flags = Array.FindIndex(smaps, at + 1, l => l.StartsWith("VmFlags:", StringComparison.Ordinal));
        Assert.Contains(" nh", smaps[flags], StringComparison.Ordinal);
    }

    [Fact]
    public void Neighbouring_slots_do_not_overlap()
    {
        using var memory = new SlotMemory(2, SlotBytes);
        Assert.Equal((long)SlotBytes, memory.Slot(1) - memory.Slot(0));
        var a = new BlkSlot(0, Segments, BlkLimits.MaxZeroingSegments, memory.Slot(0));
        var b = new BlkSlot(1, Segments, BlkLimits.MaxZeroingSegments, memory.Slot(1));
        b.Chain.Readable[0] = new IoSegment((byte*)0x1234, 77);

        // The last bytes of slot 0 are its last range; slot 1 begins with its chain.
        a.Ranges[^1] = new virtio_blk_discard_write_zeroes { sector = ulong.MaxValue, num_sectors = uint.MaxValue, flags = uint.MaxValue };
        Assert.True(b.Chain.Readable[0].Host == (byte*)0x1234);
        Assert.Equal(77u, b.Chain.Readable[0].Length);
        Assert.Equal(ulong.MaxValue, a.Ranges[^1].sector);
    }
}
