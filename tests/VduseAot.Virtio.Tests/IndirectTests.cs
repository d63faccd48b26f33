using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>VIRTIO_RING_F_INDIRECT_DESC (virtio 1.2 section 2.7.5.3): tables, their limits and the driver mistakes in them.</summary>
public sealed unsafe class IndirectTests
{
    private const ushort R = 0;
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort I = VirtioConstants.VRING_DESC_F_INDIRECT;

    private static QueueRig Rig(ushort size = 8)
    {
        var rig = new QueueRig(size);
        rig.Queue.Indirect = true;
        return rig;
    }

    private static void AssertChain(QueueRig rig, Buf[] bufs)
    {
        DescriptorChain c = rig.Chain;
        int r = 0, w = 0;
        ulong readable = 0, writable = 0;
        foreach (Buf b in bufs)
        {
            if (b.DeviceWrites)
            {
                w = rig.AssertCovers(c.Writable, c.WritableCount, w, b.Iova, b.Length);
                writable += b.Length;
            }
            else
            {
                r = rig.AssertCovers(c.Readable, c.ReadableCount, r, b.Iova, b.Length);
                readable += b.Length;
            }
        }

        Assert.Equal(r, c.ReadableCount);
        Assert.Equal(w, c.WritableCount);
        Assert.Equal(readable, c.ReadableBytes);
        Assert.Equal(writable, c.WritableBytes);
    }

    /// <summary>Pushes a one-descriptor chain whose descriptor has <paramref name="flags"/> and points at <paramref name="table"/>.</summary>
    private static ushort PushRaw(QueueRig rig, ulong table, uint length, ushort flags = I, ushort next = 0)
    {
        ushort[] ids = rig.Driver.Reserve(1);
        rig.Driver.WriteDescriptor(ids[0], table, length, flags, next);
        rig.Driver.PushHead(ids[0]);
        return ids[0];
    }

    private static Buf[] ReadableBufs(QueueRig rig, int count)
    {
        var bufs = new Buf[count];
        for (int i = 0; i < count; i++)
        {
            bufs[i] = new Buf(rig.Buffer(32), (uint)(i + 1), false);
        }

        return bufs;
    }

    // ---- well-formed tables ----

    [Fact]
    public void A_table_with_header_data_and_status_pops_the_right_segments_in_order()
    {
        using var rig = Rig();
        Buf[] bufs =
        [
            new(rig.Buffer(16), 16, false),       // virtio_blk_outhdr
            new(rig.Buffer(512), 512, true),      // data
            new(rig.Buffer(4096), 4096, true),
            new(rig.Buffer(7), 7, true),
            new(rig.Buffer(1), 1, true),          // status
        ];
        rig.Ram.RegionSize = 1024; // after Start: buffers split into several segments
        ushort head = rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(1 + bufs.Length, rig.Chain.DescriptorCount);
        AssertChain(rig, bufs);
        Assert.True(rig.Chain.WritableCount > 4, "the 4096-byte buffer should have split at region ends");
        Assert.Equal(1, rig.Queue.LastAvailIndex);
        Assert.False(rig.Queue.TryPop(rig.Chain));

        // The whole chain used one ring descriptor, and the used entry names it.
        Assert.Equal(rig.Driver.Size - 1, rig.Driver.FreeDescriptors);
        rig.Queue.AddUsed(rig.Chain.Head, 4617);
        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal([new UsedEntry(head, 4617)], rig.Driver.TakeUsed());
        Assert.Equal(rig.Driver.Size, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void A_table_of_readable_buffers_only_is_valid()
    {
        using var rig = Rig();
        Buf[] bufs = ReadableBufs(rig, 4);
        ushort head = rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(5, rig.Chain.DescriptorCount);
        AssertChain(rig, bufs);
    }

    [Fact]
    public void Normal_descriptors_followed_by_an_indirect_one_form_one_chain()
    {
        using var rig = Rig();
        Buf[] direct = [new(rig.Buffer(16), 16, false), new(rig.Buffer(100), 100, false)];
        Buf[] table = [new(rig.Buffer(200), 200, false), new(rig.Buffer(300), 300, true), new(rig.Buffer(1), 1, true)];
        ulong tableIova = rig.Buffer(16UL * 3);
        ushort head = rig.Driver.AddIndirectChain(tableIova, direct, table);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(direct.Length + 1 + table.Length, rig.Chain.DescriptorCount);
        AssertChain(rig, [.. direct, .. table]);

        rig.Queue.AddUsed(head, 301);
        rig.Queue.PublishUsed();
        Assert.Equal([new UsedEntry(head, 301)], rig.Driver.TakeUsed());
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(rig.Driver.Size, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void A_writable_normal_descriptor_before_the_table_forbids_readable_entries_in_it()
    {
        using var rig = Rig();
        ulong tableIova = rig.Buffer(32);
        Buf[] direct = [new(rig.Buffer(16), 16, true)];
        Buf[] table = [new(rig.Buffer(16), 16, false)];
        rig.Driver.AddIndirectChain(tableIova, direct, table);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(ChainError.ReadableAfterWritable, rig.Chain.Error);
        Assert.Equal(3, rig.Chain.DescriptorCount);
        Assert.Equal(1, rig.Chain.WritableCount);
        Assert.Equal(0, rig.Chain.ReadableCount);
    }

    [Fact]
    public void Readable_after_writable_inside_a_table_is_an_error()
    {
        using var rig = Rig();
        Buf[] bufs = [new(rig.Buffer(16), 16, false), new(rig.Buffer(16), 16, true), new(rig.Buffer(16), 16, false), new(rig.Buffer(1), 1, true)];
        ushort head = rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.ReadableAfterWritable, rig.Chain.Error);
        Assert.Equal(1 + 3, rig.Chain.DescriptorCount);
        Assert.Equal(1, rig.Chain.ReadableCount);
        Assert.Equal(1, rig.Chain.WritableCount);
    }

    [Fact]
    public void The_write_flag_on_the_indirect_descriptor_itself_is_ignored()
    {
        // Spec 2.7.5.3.2: the device MUST ignore the write-only flag in the descriptor that refers to a table.
        using var rig = Rig();
        Buf[] bufs = [new(rig.Buffer(16), 16, false), new(rig.Buffer(8), 8, true)];
        ulong table = rig.Buffer(32);
        uint length = rig.Driver.WriteIndirectTable(table, bufs);
        ushort head = PushRaw(rig, table, length, I | W);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        AssertChain(rig, bufs);
    }

    [Fact]
    public void Table_entries_may_link_in_any_order()
    {
        using var rig = Rig();
        ulong table = rig.Buffer(16 * 4);
        Buf a = new(rig.Buffer(16), 16, false), b = new(rig.Buffer(32), 32, false), c = new(rig.Buffer(64), 64, true);

        // The walk always starts at entry 0; here it goes 0 -> 3 -> 2 and never reaches entry 1.
        rig.Driver.WriteTableEntry(table, 0, a.Iova, a.Length, N, 3);
        rig.Driver.WriteTableEntry(table, 3, b.Iova, b.Length, N, 2);
        rig.Driver.WriteTableEntry(table, 2, c.Iova, c.Length, W, 0);
        rig.Driver.WriteTableEntry(table, 1, 0, 0, I, 0); // garbage in an unused entry does not matter
        PushRaw(rig, table, 16 * 4);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(4, rig.Chain.DescriptorCount);
        AssertChain(rig, [a, b, c]);
    }

    [Fact]
    public void A_table_in_read_only_memory_crossing_a_region_boundary_is_read_entry_by_entry()
    {
        using var rig = Rig();
        ulong page = rig.Buffer(8192, 4096);
        ulong table = page + 4096 - 48; // three entries before the boundary, two after
        rig.Ram.Protect(page, 8192, readOnly: true);
        rig.Ram.RegionSize = 4096;
        Buf[] bufs = [new(rig.Buffer(16), 16, false), new(rig.Buffer(16), 16, false), new(rig.Buffer(16), 16, true), new(rig.Buffer(16), 16, true), new(rig.Buffer(1), 1, true)];
        uint length = rig.Driver.WriteIndirectTable(table, bufs);
        ushort head = PushRaw(rig, table, length);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(6, rig.Chain.DescriptorCount);
        AssertChain(rig, bufs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(256)]
    public void A_table_of_exactly_queue_size_entries_is_valid(int size)
    {
        using var rig = Rig((ushort)size);
        var bufs = new Buf[size];
        for (int i = 0; i < size; i++)
        {
            bufs[i] = new Buf(rig.Buffer(16), (uint)(i % 16) + 1, i >= size / 2);
        }

        ushort head = rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(1 + size, rig.Chain.DescriptorCount);
        AssertChain(rig, bufs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(256)]
    public void A_table_of_queue_size_plus_one_entries_is_rejected(int size)
    {
        using var rig = Rig((ushort)size);
        Buf[] bufs = ReadableBufs(rig, size + 1);
        rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(ChainError.BadIndirectTable, rig.Chain.Error);
        Assert.Equal(1, rig.Chain.DescriptorCount);
        Assert.Equal(0, rig.Chain.ReadableCount);
    }

    [Fact]
    public void Many_indirect_chains_fill_the_ring_and_complete_out_of_order()
    {
        using var rig = Rig(8);
        var heads = new List<ushort>();
        var bufsOf = new Dictionary<ushort, Buf[]>();
        for (int i = 0; i < 8; i++)
        {
            Buf[] bufs = [new(rig.Buffer(16), 16, false), new(rig.Buffer(64), (uint)(10 + i), true), new(rig.Buffer(1), 1, true)];
            ushort head = rig.Driver.AddIndirectChain(bufs);
            heads.Add(head);
            bufsOf[head] = bufs;
        }

        Assert.Equal(0, rig.Driver.FreeDescriptors);
        rig.Driver.Publish();
        var popped = new List<ushort>();
        while (rig.Queue.TryPop(rig.Chain))
        {
            Assert.Equal(ChainError.None, rig.Chain.Error);
            AssertChain(rig, bufsOf[rig.Chain.Head]);
            popped.Add(rig.Chain.Head);
        }

        Assert.Equal(heads, popped);
        var expected = new List<UsedEntry>();
        for (int i = popped.Count - 1; i >= 0; i--)
        {
            uint written = (uint)bufsOf[popped[i]][1].Length + 1;
            rig.Queue.AddUsed(popped[i], written);
            expected.Add(new UsedEntry(popped[i], written));
        }

        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(expected, rig.Driver.TakeUsed());
        Assert.Equal(8, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void Without_the_feature_the_indirect_flag_is_still_an_error()
    {
        using var rig = new QueueRig(8);
        Assert.False(rig.Queue.Indirect);
        Buf[] bufs = ReadableBufs(rig, 2);
        ulong tableIova = rig.Buffer(32);
        ushort direct = rig.Driver.AddIndirectChain(tableIova, [new Buf(rig.Buffer(16), 16, false)], bufs);
        ushort only = rig.Driver.AddIndirectChain(bufs);
        ushort good = rig.Driver.AddChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(direct, rig.Chain.Head);
        Assert.Equal(ChainError.IndirectNotNegotiated, rig.Chain.Error);
        Assert.Equal(2, rig.Chain.DescriptorCount);
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(only, rig.Chain.Head);
        Assert.Equal(ChainError.IndirectNotNegotiated, rig.Chain.Error);
        Assert.Equal(1, rig.Chain.DescriptorCount);
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(good, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        AssertChain(rig, bufs);
    }

    [Fact]
    public void Too_many_segments_from_a_table_is_an_error_not_an_overflow()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        var queue = driver.CreateQueue(indirect: true);
        var chain = new DescriptorChain(3);
        var bufs = new Buf[5];
        for (int i = 0; i < bufs.Length; i++)
        {
            bufs[i] = new Buf(ram.Alloc(16), 16, false);
        }

        driver.AddIndirectChain(bufs);
        driver.Publish();
        Assert.True(queue.TryPop(chain));
        Assert.Equal(ChainError.TooManySegments, chain.Error);
        Assert.Equal(3, chain.ReadableCount);
    }

    // ---- broken tables: each pops with its error and the queue keeps serving ----

    public static TheoryData<string> BadTables() =>
    [
        "len-0", "len-8", "len-15", "len-17", "len-24", "len-size-plus-1",
        "indirect-with-next", "indirect-with-next-after-direct",
        "nested-first", "nested-later",
        "next-equals-count", "next-0xffff",
        "self-loop", "loop", "loop-full-table",
        "table-in-hole", "table-outside-ram", "table-runs-into-hole", "entry-straddles-hole",
        "zero-length-entry", "entry-buffer-unmapped", "entry-writes-read-only",
        "readable-after-writable", "writable-direct-then-readable-entry",
    ];

    private static (ushort Head, ChainError Error, int Walked) BuildBadTable(QueueRig rig, string kind)
    {
        SplitDriver d = rig.Driver;
        ulong table = rig.Buffer(16UL * 10);

        // A well-formed table of three readable entries; most cases then break one thing about it.
        uint length = d.WriteIndirectTable(table, ReadableBufs(rig, 3));
        switch (kind)
        {
            case "len-0":
                return (PushRaw(rig, table, 0), ChainError.BadIndirectTable, 1);
            case "len-8":
                return (PushRaw(rig, table, 8), ChainError.BadIndirectTable, 1);
            case "len-15":
                return (PushRaw(rig, table, 15), ChainError.BadIndirectTable, 1);
            case "len-17":
                return (PushRaw(rig, table, 17), ChainError.BadIndirectTable, 1);
            case "len-24":
                return (PushRaw(rig, table, 24), ChainError.BadIndirectTable, 1);
            case "len-size-plus-1":
                d.WriteIndirectTable(table, ReadableBufs(rig, 9));
                return (PushRaw(rig, table, 16 * 9), ChainError.BadIndirectTable, 1);
            case "indirect-with-next":
            {
                ushort[] ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], table, length, I | N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(16), 16, W, 0);
                d.PushHead(ids[0]);
                return (ids[0], ChainError.BadIndirectTable, 1);
            }

            case "indirect-with-next-after-direct":
            {
                ushort[] ids = d.Reserve(3);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], table, length, I | N, ids[2]);
                d.WriteDescriptor(ids[2], rig.Buffer(16), 16, W, 0);
                d.PushHead(ids[0]);
                return (ids[0], ChainError.BadIndirectTable, 2);
            }

            case "nested-first":
                d.WriteTableEntry(table, 0, rig.Buffer(32), 32, I, 0);
                return (PushRaw(rig, table, length), ChainError.NestedIndirect, 2);
            case "nested-later":
            {
                // The nested entry points at a perfectly valid table: still forbidden (spec 2.7.5.3.1).
                ulong inner = rig.Buffer(32);
                uint innerLength = d.WriteIndirectTable(inner, ReadableBufs(rig, 2));
                d.WriteTableEntry(table, 2, inner, innerLength, I, 0);
                return (PushRaw(rig, table, length), ChainError.NestedIndirect, 4);
            }

            case "next-equals-count":
                // Entry 3 exists in memory and is valid, but lies past the table's length.
                d.WriteTableEntry(table, 3, rig.Buffer(16), 16, R, 0);
                d.WriteTableEntry(table, 2, rig.Buffer(16), 16, N, 3);
                return (PushRaw(rig, table, length), ChainError.IndexOutOfRange, 4);
            case "next-0xffff":
                d.WriteTableEntry(table, 0, rig.Buffer(16), 16, N, 0xffff);
                return (PushRaw(rig, table, length), ChainError.IndexOutOfRange, 2);
            case "self-loop":
                d.WriteTableEntry(table, 0, rig.Buffer(16), 16, N, 0);
                return (PushRaw(rig, table, length), ChainError.TooLong, 1 + 3);
            case "loop":
                d.WriteTableEntry(table, 2, rig.Buffer(16), 16, N, 1);
                return (PushRaw(rig, table, length), ChainError.TooLong, 1 + 3);
            case "loop-full-table":
                d.WriteIndirectTable(table, ReadableBufs(rig, 8));
                d.WriteTableEntry(table, 7, rig.Buffer(16), 16, N, 0);
                return (PushRaw(rig, table, 16 * 8), ChainError.TooLong, 1 + 8);
            case "table-in-hole":
            {
                ulong hole = rig.Buffer(4096, 4096);
                rig.Ram.Protect(hole, 4096, readOnly: false);
                return (PushRaw(rig, hole + 64, 48), ChainError.UnmappedAddress, 1);
            }

            case "table-outside-ram":
                return (PushRaw(rig, rig.Ram.Base + rig.Ram.Size + 0x1000, 48), ChainError.UnmappedAddress, 1);
            case "table-runs-into-hole":
            {
                // Two valid entries, then the table's third entry is in an unmapped page.
                ulong pages = rig.Buffer(8192, 4096);
                ulong at = pages + 4096 - 32;
                d.WriteIndirectTable(at, ReadableBufs(rig, 3));
                rig.Ram.Protect(pages + 4096, 4096, readOnly: false);
                return (PushRaw(rig, at, 48), ChainError.UnmappedAddress, 1 + 2);
            }

            case "entry-straddles-hole":
            {
                // An 8-aligned table whose second entry has its first half mapped and its second half not.
                ulong pages = rig.Buffer(8192, 4096);
                ulong at = pages + 4096 - 24;
                d.WriteIndirectTable(at, ReadableBufs(rig, 3));
                rig.Ram.Protect(pages + 4096, 4096, readOnly: false);
                return (PushRaw(rig, at, 48), ChainError.UnmappedAddress, 1 + 1);
            }

            case "zero-length-entry":
                d.WriteTableEntry(table, 1, rig.Buffer(16), 0, N, 2);
                return (PushRaw(rig, table, length), ChainError.ZeroLength, 1 + 2);
            case "entry-buffer-unmapped":
            {
                ulong hole = rig.Buffer(4096, 4096);
                rig.Ram.Protect(hole, 4096, readOnly: false);
                d.WriteTableEntry(table, 1, hole + 16, 16, N, 2);
                return (PushRaw(rig, table, length), ChainError.UnmappedAddress, 1 + 2);
            }

            case "entry-writes-read-only":
            {
                ulong ro = rig.Buffer(4096, 4096);
                rig.Ram.Protect(ro, 4096, readOnly: true);
                d.WriteTableEntry(table, 2, ro, 16, W, 0);
                return (PushRaw(rig, table, length), ChainError.UnmappedAddress, 1 + 3);
            }

            case "readable-after-writable":
                d.WriteTableEntry(table, 0, rig.Buffer(16), 16, W | N, 1);
                return (PushRaw(rig, table, length), ChainError.ReadableAfterWritable, 1 + 2);
            case "writable-direct-then-readable-entry":
            {
                ushort[] ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, W | N, ids[1]);
                d.WriteDescriptor(ids[1], table, length, I, 0);
                d.PushHead(ids[0]);
                return (ids[0], ChainError.ReadableAfterWritable, 3);
            }

            default:
                throw new ArgumentException(kind);
        }
    }

    [Theory]
    [MemberData(nameof(BadTables))]
    public void A_broken_table_pops_with_its_error_and_the_queue_keeps_working(string kind)
    {
        using var rig = Rig(8);
        (ushort badHead, ChainError error, int walked) = BuildBadTable(rig, kind);
        Buf[] good = [new(rig.Buffer(16), 16, false), new(rig.Buffer(64), 64, true), new(rig.Buffer(1), 1, true)];
        ushort goodIndirect = rig.Driver.AddIndirectChain(good);
        ushort goodDirect = rig.Driver.AddChain(good);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(badHead, rig.Chain.Head);
        Assert.Equal(error, rig.Chain.Error);
        Assert.Equal(walked, rig.Chain.DescriptorCount);
        rig.Queue.AddUsed(rig.Chain.Head, 0);

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(goodIndirect, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        AssertChain(rig, good);
        rig.Queue.AddUsed(rig.Chain.Head, 65);

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(goodDirect, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        AssertChain(rig, good);
        rig.Queue.AddUsed(rig.Chain.Head, 65);

        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal([new UsedEntry(badHead, 0), new UsedEntry(goodIndirect, 65), new UsedEntry(goodDirect, 65)], rig.Driver.TakeUsed());
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(8, rig.Driver.FreeDescriptors);
        Assert.Null(rig.Queue.BrokenReason);

        // And again after everything was returned.
        ushort again = rig.Driver.AddIndirectChain(good);
        rig.Driver.Publish();
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(again, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        AssertChain(rig, good);
    }
}
