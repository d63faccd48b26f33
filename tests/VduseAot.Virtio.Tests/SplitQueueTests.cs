using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

public sealed unsafe class SplitQueueTests
{
    private const ushort R = 0;
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;

    // ---- construction and Start ----

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(100)]
    [InlineData(257)]
    [InlineData(40000)]
    [InlineData(65535)]
    public void Constructor_rejects_sizes_that_are_not_powers_of_two(int size)
    {
        using var ram = new GuestRam(4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitQueue<FakeGuestMemory>(ram.Memory, (ushort)size));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(256)]
    [InlineData(32768)]
    public void Constructor_accepts_powers_of_two(int size)
    {
        using var ram = new GuestRam(4096);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, (ushort)size);
        Assert.Equal((ushort)size, q.Size);
    }

    [Fact]
    public void Start_maps_the_rings_and_an_empty_ring_pops_nothing()
    {
        using var rig = new QueueRig();
        Assert.False(rig.Queue.HasAvailable());
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Null(rig.Queue.BrokenReason);
        Assert.Equal(0, rig.Queue.LastAvailIndex);
        Assert.Equal(0, rig.Queue.NextUsedIndex);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)] // the device writes the used ring: a read-only mapping is not enough
    public void Start_fails_when_a_ring_is_unmapped(int ring, bool readOnly)
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        ulong[] iova = [driver.DescIova, driver.AvailIova, driver.UsedIova];

        // Protect a few bytes in the middle of the ring so the start translates but is not contiguous.
        ram.Protect(iova[ring] + 8, 4, readOnly);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 8);
        string? error = q.Start(driver.Rings, RingPosition.Split(0));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void After_a_failed_start_the_queue_serves_nothing_and_does_not_touch_null_rings()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        ram.Protect(driver.UsedIova, 8, readOnly: false);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.NotNull(q.Start(driver.Rings, RingPosition.Split(0)));
        driver.AddChain(new Buf(ram.Alloc(16), 16, false));
        driver.Publish();

        // A caller that ignores the error text must not get a NullReferenceException (or worse, in
        // Native AOT, a read through a null-based pointer); the queue should report itself broken.
        var chain = new DescriptorChain(8);
        bool popped = true;
        Exception? thrown = Record.Exception(() => popped = q.TryPop(chain));
        Assert.Null(thrown);
        Assert.False(popped);
        Assert.NotNull(q.BrokenReason);
    }

    [Fact]
    public void Start_accepts_read_only_desc_and_avail_rings()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        ram.Protect(driver.DescIova, 16 * 8, readOnly: true);
        ram.Protect(driver.AvailIova, 6 + (2 * 8), readOnly: true);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.Null(q.Start(driver.Rings, RingPosition.Split(0)));
    }

    [Fact]
    public void Start_fails_when_a_ring_is_outside_guest_memory()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.NotNull(q.Start(new RingAddresses(0x1000, driver.AvailIova, driver.UsedIova), RingPosition.Split(0)));
        Assert.NotNull(q.Start(new RingAddresses(driver.DescIova, driver.AvailIova, ram.Base + ram.Size - 8), RingPosition.Split(0)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Start_fails_when_a_ring_straddles_a_region_boundary(int ring)
    {
        const ushort size = 8;
        using var ram = new GuestRam(1 << 20, regionSize: 4096);
        ulong desc = ram.Base + 0x1000;    // each ring starts in its own region, well inside it
        ulong avail = ram.Base + 0x2000;
        ulong used = ram.Base + 0x3000;
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, size);
        Assert.Null(q.Start(new RingAddresses(desc, avail, used), RingPosition.Split(0)));

        // Now move one ring so it ends 16 bytes past a 4 KiB region boundary.
        ulong straddle = ram.Base + 0x5000;
        uint bytes = ring switch { 0 => 16u * size, 1 => 6u + (2u * size), _ => 6u + (8u * size) };
        ulong at = straddle - bytes + 16;
        string? error = ring switch
        {
            0 => q.Start(new RingAddresses(at, avail, used), RingPosition.Split(0)),
            1 => q.Start(new RingAddresses(desc, at & ~1UL, used), RingPosition.Split(0)),
            _ => q.Start(new RingAddresses(desc, avail, at & ~3UL), RingPosition.Split(0)),
        };
        Assert.NotNull(error);

        // And a small region size splits every ring.
        ram.RegionSize = 64;
        Assert.NotNull(q.Start(new RingAddresses(desc, avail, used), RingPosition.Split(0)));
    }

    // ---- popping well-formed chains ----

    [Fact]
    public void Pops_a_single_readable_buffer()
    {
        using var rig = new QueueRig();
        ulong buf = rig.Buffer(100);
        ushort head = rig.Driver.AddChain(new Buf(buf, 100, false));
        rig.Driver.Publish();

        Assert.True(rig.Queue.HasAvailable());
        Assert.True(rig.Queue.TryPop(rig.Chain));
        DescriptorChain c = rig.Chain;
        Assert.Equal(head, c.Head);
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(1, c.DescriptorCount);
        Assert.Equal(1, c.ReadableCount);
        Assert.Equal(100UL, c.ReadableBytes);
        Assert.Equal(0, c.WritableCount);
        Assert.Equal(0UL, c.WritableBytes);
        Assert.True(rig.Ram.Host(buf) == c.Readable[0].Host);
        Assert.Equal(100u, c.Readable[0].Length);
        Assert.Equal(1, rig.Queue.LastAvailIndex);
        Assert.False(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void Pops_a_chain_of_readable_then_writable_buffers_in_order()
    {
        using var rig = new QueueRig();
        Buf[] bufs =
        [
            new(rig.Buffer(16), 16, false),
            new(rig.Buffer(300), 300, false),
            new(rig.Buffer(512), 512, true),
            new(rig.Buffer(1000), 1000, true),
            new(rig.Buffer(1), 1, true),
        ];
        ushort head = rig.Driver.AddChain(bufs);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        DescriptorChain c = rig.Chain;
        Assert.Equal(head, c.Head);
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(5, c.DescriptorCount);
        Assert.Equal(2, c.ReadableCount);
        Assert.Equal(3, c.WritableCount);
        Assert.Equal(316UL, c.ReadableBytes);
        Assert.Equal(1513UL, c.WritableBytes);
        int r = 0, w = 0;
        foreach (Buf b in bufs)
        {
            if (b.DeviceWrites)
            {
                w = rig.AssertCovers(c.Writable, c.WritableCount, w, b.Iova, b.Length);
            }
            else
            {
                r = rig.AssertCovers(c.Readable, c.ReadableCount, r, b.Iova, b.Length);
            }
        }
    }

    [Fact]
    public void A_buffer_crossing_region_boundaries_becomes_several_segments()
    {
        using var rig = new QueueRig();
        rig.Ram.RegionSize = 4096;
        ulong page = rig.Buffer(4 * 4096, 4096);
        ulong start = page + 4096 - 100;          // 100 bytes, then a whole region, then 50 bytes
        uint length = 100 + 4096 + 50;
        ushort head = rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false), new Buf(start, length, true));
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        DescriptorChain c = rig.Chain;
        Assert.Equal(head, c.Head);
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(2, c.DescriptorCount);
        Assert.Equal(3, c.WritableCount);
        Assert.Equal((ulong)length, c.WritableBytes);
        Assert.True(rig.Ram.Host(start) == c.Writable[0].Host);
        Assert.Equal(100u, c.Writable[0].Length);
        Assert.True(rig.Ram.Host(page + 4096) == c.Writable[1].Host);
        Assert.Equal(4096u, c.Writable[1].Length);
        Assert.True(rig.Ram.Host(page + 8192) == c.Writable[2].Host);
        Assert.Equal(50u, c.Writable[2].Length);
    }

    [Fact]
    public void A_chain_using_every_descriptor_is_valid()
    {
        using var rig = new QueueRig(size: 8);
        var bufs = new Buf[8];
        for (int i = 0; i < bufs.Length; i++)
        {
            bufs[i] = new Buf(rig.Buffer(32), 32, i >= 4);
        }

        ushort head = rig.Driver.AddChain(bufs);
        rig.Driver.Publish();
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(head, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(8, rig.Chain.DescriptorCount);
        Assert.Equal(128UL, rig.Chain.ReadableBytes);
        Assert.Equal(128UL, rig.Chain.WritableBytes);
    }

    [Fact]
    public void A_full_ring_of_heads_is_not_an_overrun()
    {
        using var rig = new QueueRig(size: 8);
        var heads = new HashSet<ushort>();
        for (int i = 0; i < 8; i++)
        {
            heads.Add(rig.Driver.AddChain(new Buf(rig.Buffer(8), 8, true)));
        }

        rig.Driver.Publish();
        for (int i = 0; i < 8; i++)
        {
            Assert.True(rig.Queue.TryPop(rig.Chain));
            Assert.True(heads.Remove(rig.Chain.Head));
        }

        Assert.Empty(heads);
        Assert.Null(rig.Queue.BrokenReason);
        Assert.False(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void Chains_are_not_seen_before_the_driver_publishes_them()
    {
        using var rig = new QueueRig();
        rig.Driver.AddChain(new Buf(rig.Buffer(8), 8, false));
        Assert.False(rig.Queue.TryPop(rig.Chain));
        rig.Driver.Publish();
        Assert.True(rig.Queue.TryPop(rig.Chain));
    }

    // ---- adversarial chains ----

    public static TheoryData<string> BadChains() =>
    [
        "loop",
        "loop-through-whole-table",
        "next-out-of-range",
        "next-0xffff",
        "readable-after-writable",
        "zero-length-head",
        "zero-length-middle",
        "indirect",
        "indirect-later",
        "outside-guest-ram",
        "unmapped-hole",
        "runs-into-hole",
        "write-to-read-only",
    ];

    /// <summary>Builds a broken chain; returns (head, expected error, expected descriptors walked).</summary>
    private static (ushort Head, ChainError Error, int Walked) BuildBad(QueueRig rig, string kind)
    {
        SplitDriver d = rig.Driver;
        ushort size = d.Size;
        ushort[] ids;
        switch (kind)
        {
            case "loop":
                ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(16), 16, N, ids[0]);
                return Push(d, ids[0], ChainError.TooLong, size);
            case "loop-through-whole-table":
                ids = d.Reserve(size);
                for (int i = 0; i < size; i++)
                {
                    d.WriteDescriptor(ids[i], rig.Buffer(16), 16, (ushort)(N | (i >= size / 2 ? W : R)), ids[(i + 1) % size]);
                }

                return Push(d, ids[0], ChainError.TooLong, size);
            case "next-out-of-range":
                ids = d.Reserve(1);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, size);
                return Push(d, ids[0], ChainError.IndexOutOfRange, 1);
            case "next-0xffff":
                ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(16), 16, W | N, 0xffff);
                return Push(d, ids[0], ChainError.IndexOutOfRange, 2);
            case "readable-after-writable":
                ids = d.Reserve(3);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(16), 16, W | N, ids[2]);
                d.WriteDescriptor(ids[2], rig.Buffer(16), 16, R, 0);
                return Push(d, ids[0], ChainError.ReadableAfterWritable, 3);
            case "zero-length-head":
                ids = d.Reserve(1);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 0, R, 0);
                return Push(d, ids[0], ChainError.ZeroLength, 1);
            case "zero-length-middle":
                ids = d.Reserve(3);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(16), 0, W | N, ids[2]);
                d.WriteDescriptor(ids[2], rig.Buffer(1), 1, W, 0);
                return Push(d, ids[0], ChainError.ZeroLength, 2);
            case "indirect":
                ids = d.Reserve(1);
                d.WriteDescriptor(ids[0], rig.Buffer(64), 64, VirtioConstants.VRING_DESC_F_INDIRECT, 0);
                return Push(d, ids[0], ChainError.IndirectNotNegotiated, 1);
            case "indirect-later":
                ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Buffer(64), 64, VirtioConstants.VRING_DESC_F_INDIRECT, 0);
                return Push(d, ids[0], ChainError.IndirectNotNegotiated, 2);
            case "outside-guest-ram":
                ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
                d.WriteDescriptor(ids[1], rig.Ram.Base + rig.Ram.Size + 0x1000, 16, W, 0);
                return Push(d, ids[0], ChainError.UnmappedAddress, 2);
            case "unmapped-hole":
            {
                ulong hole = rig.Buffer(4096, 4096);
                rig.Ram.Protect(hole, 4096, readOnly: false);
                ids = d.Reserve(1);
                d.WriteDescriptor(ids[0], hole + 100, 16, R, 0);
                return Push(d, ids[0], ChainError.UnmappedAddress, 1);
            }

            case "runs-into-hole":
            {
                ulong buf = rig.Buffer(8192, 4096);
                rig.Ram.Protect(buf + 4096, 4096, readOnly: false);
                ids = d.Reserve(1);
                d.WriteDescriptor(ids[0], buf + 4000, 200, R, 0);
                return Push(d, ids[0], ChainError.UnmappedAddress, 1);
            }

            case "write-to-read-only":
            {
                ulong ro = rig.Buffer(4096, 4096);
                rig.Ram.Protect(ro, 4096, readOnly: true);
                ids = d.Reserve(2);
                d.WriteDescriptor(ids[0], ro, 16, N, ids[1]);      // reading read-only memory is fine
                d.WriteDescriptor(ids[1], ro + 512, 16, W, 0);    // writing it is not
                return Push(d, ids[0], ChainError.UnmappedAddress, 2);
            }

            default:
                throw new ArgumentException(kind);
        }
    }

    private static (ushort, ChainError, int) Push(SplitDriver d, ushort head, ChainError error, int walked)
    {
        d.PushHead(head);
        return (head, error, walked);
    }

    [Theory]
    [MemberData(nameof(BadChains))]
    public void A_broken_chain_pops_with_its_error_and_the_queue_keeps_working(string kind)
    {
        using var rig = new QueueRig(size: 8);
        (ushort badHead, ChainError error, int walked) = BuildBad(rig, kind);
        ushort goodHead = 0xffff;
        ulong goodBuf = 0;
        if (rig.Driver.FreeDescriptors > 0)
        {
            goodBuf = rig.Buffer(64);
            goodHead = rig.Driver.AddChain(new Buf(goodBuf, 64, true));
        }

        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(badHead, rig.Chain.Head);
        Assert.Equal(error, rig.Chain.Error);
        Assert.Equal(walked, rig.Chain.DescriptorCount);
        rig.Queue.AddUsed(rig.Chain.Head, 0);

        if (goodHead != 0xffff)
        {
            Assert.True(rig.Queue.TryPop(rig.Chain));
            Assert.Equal(goodHead, rig.Chain.Head);
            Assert.Equal(ChainError.None, rig.Chain.Error);
            Assert.Equal(1, rig.Chain.WritableCount);
            Assert.True(rig.Ram.Host(goodBuf) == rig.Chain.Writable[0].Host);
            rig.Queue.AddUsed(rig.Chain.Head, 64);
        }

        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.True(rig.Queue.PublishUsed());
        List<UsedEntry> used = rig.Driver.TakeUsed();
        Assert.Equal(new UsedEntry(badHead, 0), used[0]);
        Assert.Equal(goodHead != 0xffff ? 2 : 1, used.Count);
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Null(rig.Queue.BrokenReason);

        // The ring still works after the broken chain is returned.
        ulong again = rig.Buffer(32);
        ushort next = rig.Driver.AddChain(new Buf(again, 32, false));
        rig.Driver.Publish();
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(next, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.True(rig.Ram.Host(again) == rig.Chain.Readable[0].Host);
    }

    [Fact]
    public void A_readable_after_writable_chain_keeps_the_writable_part_it_walked()
    {
        using var rig = new QueueRig(size: 8);
        ulong w = rig.Buffer(40);
        ushort[] ids = rig.Driver.Reserve(3);
        rig.Driver.WriteDescriptor(ids[0], rig.Buffer(16), 16, N, ids[1]);
        rig.Driver.WriteDescriptor(ids[1], w, 40, W | N, ids[2]);
        rig.Driver.WriteDescriptor(ids[2], rig.Buffer(16), 16, R, 0);
        rig.Driver.PushHead(ids[0]);
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(ChainError.ReadableAfterWritable, rig.Chain.Error);
        Assert.Equal(1, rig.Chain.ReadableCount);
        Assert.Equal(1, rig.Chain.WritableCount);
        Assert.Equal(40UL, rig.Chain.WritableBytes);
        Assert.True(rig.Ram.Host(w) == rig.Chain.Writable[0].Host);
    }

    [Fact]
    public void Too_many_segments_for_the_chain_slot_is_an_error_not_an_overflow()
    {
        using var rig = new QueueRig(size: 8);
        rig.Ram.RegionSize = 64;
        ulong buf = rig.Buffer(4096, 4096);
        ushort head = rig.Driver.AddChain(new Buf(buf, 4096, false)); // 64 segments
        rig.Driver.Publish();
        var small = new DescriptorChain(4);

        Assert.True(rig.Queue.TryPop(small));
        Assert.Equal(head, small.Head);
        Assert.Equal(ChainError.TooManySegments, small.Error);
        Assert.True(small.ReadableCount <= 4);
    }

    [Fact]
    public void A_head_outside_the_table_is_skipped_and_counted()
    {
        using var rig = new QueueRig(size: 8);
        rig.Driver.PushHead(8);
        rig.Driver.PushHead(0xffff);
        ulong buf = rig.Buffer(16);
        ushort good = rig.Driver.AddChain(new Buf(buf, 16, false));
        rig.Driver.Publish();

        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(good, rig.Chain.Head);
        Assert.Equal(ChainError.None, rig.Chain.Error);
        Assert.Equal(2UL, rig.Queue.BadHeads);
        Assert.Equal(3, rig.Queue.LastAvailIndex);
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Null(rig.Queue.BrokenReason);
    }

    [Fact]
    public void Only_bad_heads_pop_nothing()
    {
        using var rig = new QueueRig(size: 8);
        rig.Driver.PushHead(9);
        rig.Driver.Publish();
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(1UL, rig.Queue.BadHeads);
        Assert.Equal(1, rig.Queue.LastAvailIndex);
        Assert.Null(rig.Queue.BrokenReason);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(100)]
    [InlineData(0xffff)]
    public void Avail_index_more_than_size_ahead_breaks_the_queue(int idx)
    {
        using var rig = new QueueRig(size: 8);
        rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        rig.Driver.ForceAvailIndex((ushort)idx);

        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.False(string.IsNullOrEmpty(rig.Queue.BrokenReason));
        Assert.Equal(0, rig.Queue.LastAvailIndex);

        // Stays broken even if the driver then writes a sane index.
        rig.Driver.Publish();
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.NotNull(rig.Queue.BrokenReason);

        // A restart clears it.
        Assert.Null(rig.Queue.Start(rig.Driver.Rings, RingPosition.Split(0)));
        Assert.Null(rig.Queue.BrokenReason);
        Assert.True(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void Avail_index_exactly_size_ahead_is_allowed()
    {
        using var rig = new QueueRig(size: 8);
        rig.Driver.ForceAvailIndex(8); // all slots point at head 0, whose descriptor is zeroed (zero length)
        for (int i = 0; i < 8; i++)
        {
            Assert.True(rig.Queue.TryPop(rig.Chain));
            Assert.Equal(0, rig.Chain.Head);
            Assert.Equal(ChainError.ZeroLength, rig.Chain.Error);
        }

        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Null(rig.Queue.BrokenReason);
    }

    // ---- used ring ----

    [Fact]
    public void Used_entries_become_visible_only_on_publish()
    {
        using var rig = new QueueRig(size: 8);
        ushort a = rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false), new Buf(rig.Buffer(100), 100, true));
        ushort b = rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        rig.Driver.Publish();

        Assert.False(rig.Queue.PublishUsed());
        Assert.True(rig.Queue.TryPop(rig.Chain));
        Assert.True(rig.Queue.TryPop(rig.Chain));

        // Out of order completion is allowed.
        rig.Queue.AddUsed(b, 0);
        rig.Queue.AddUsed(a, 77);
        Assert.Equal(2, rig.Queue.NextUsedIndex);
        Assert.Equal(0, rig.UsedIdxInMemory);
        Assert.Empty(rig.Driver.TakeUsed());

        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(2, rig.UsedIdxInMemory);
        Assert.Equal([new UsedEntry(b, 0), new UsedEntry(a, 77)], rig.Driver.TakeUsed());
        Assert.False(rig.Queue.PublishUsed());
        Assert.Equal(0, rig.Driver.Outstanding);
    }

    [Fact]
    public void Indices_wrap_past_65535()
    {
        using var rig = new QueueRig(size: 8);
        ulong[] bufs = new ulong[8];
        for (int i = 0; i < bufs.Length; i++)
        {
            bufs[i] = rig.Buffer(64);
        }

        var rng = new Random(7);
        int total = 0;
        while (total < 70_000)
        {
            int batch = rng.Next(1, 9);
            var added = new List<ushort>(batch);
            for (int i = 0; i < batch; i++)
            {
                added.Add(rig.Driver.AddChain(new Buf(bufs[i], (uint)(i + 1), true)));
            }

            rig.Driver.Publish();
            for (int i = 0; i < batch; i++)
            {
                Assert.True(rig.Queue.TryPop(rig.Chain));
                Assert.Equal(added[i], rig.Chain.Head);
                Assert.Equal((ulong)(i + 1), rig.Chain.WritableBytes);
                rig.Queue.AddUsed(rig.Chain.Head, (uint)(i + 1));
            }

            Assert.False(rig.Queue.TryPop(rig.Chain));
            total += batch;
            Assert.Equal((ushort)total, rig.Queue.LastAvailIndex);
            Assert.Equal((ushort)total, rig.Queue.NextUsedIndex);
            Assert.True(rig.Queue.PublishUsed());
            Assert.Equal((ushort)total, rig.UsedIdxInMemory);
            List<UsedEntry> used = rig.Driver.TakeUsed();
            Assert.Equal(batch, used.Count);
            for (int i = 0; i < batch; i++)
            {
                Assert.Equal(new UsedEntry(added[i], (uint)(i + 1)), used[i]);
            }
        }

        Assert.True(total > 65536);
        Assert.Null(rig.Queue.BrokenReason);
        Assert.Equal(0, rig.Driver.Outstanding);
    }

    [Fact]
    public void DriverWantsInterrupt_honours_no_interrupt_flag()
    {
        using var rig = new QueueRig();
        Assert.True(rig.Queue.DriverWantsInterrupt());
        rig.Driver.SuppressInterrupts(true);
        Assert.False(rig.Queue.DriverWantsInterrupt());
        rig.Driver.SuppressInterrupts(false);
        Assert.True(rig.Queue.DriverWantsInterrupt());
    }

    [Fact]
    public void Restart_continues_from_the_given_avail_index_and_the_used_index_in_memory()
    {
        using var rig = new QueueRig(size: 8);
        for (int i = 0; i < 5; i++)
        {
            rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        }

        rig.Driver.Publish();

        // First device instance pops 5, completes 3.
        var popped = new List<ushort>();
        for (int i = 0; i < 5; i++)
        {
            Assert.True(rig.Queue.TryPop(rig.Chain));
            popped.Add(rig.Chain.Head);
        }

        for (int i = 0; i < 3; i++)
        {
            rig.Queue.AddUsed(popped[i], 0);
        }

        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(3, rig.Driver.TakeUsed().Count);
        ushort resumeAt = rig.Queue.LastAvailIndex;
        Assert.Equal(5, resumeAt);

        // A new device instance (reconnect) over the same rings.
        var q2 = new SplitQueue<FakeGuestMemory>(rig.Ram.Memory, 8);
        Assert.Null(q2.Start(rig.Driver.Rings, RingPosition.Split(resumeAt)));
        Assert.Equal(5, q2.LastAvailIndex);
        Assert.Equal(3, q2.NextUsedIndex);
        Assert.False(q2.TryPop(rig.Chain));

        ushort fresh = rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        rig.Driver.Publish();
        Assert.True(q2.TryPop(rig.Chain));
        Assert.Equal(fresh, rig.Chain.Head);
        Assert.Equal(6, q2.LastAvailIndex);

        q2.AddUsed(popped[3], 1);
        q2.AddUsed(popped[4], 2);
        q2.AddUsed(fresh, 3);
        Assert.True(q2.PublishUsed());
        Assert.Equal(6, rig.UsedIdxInMemory);
        Assert.Equal([new UsedEntry(popped[3], 1), new UsedEntry(popped[4], 2), new UsedEntry(fresh, 3)], rig.Driver.TakeUsed());
        Assert.Equal(0, rig.Driver.Outstanding);
    }

    [Fact]
    public void Start_with_a_stale_avail_index_far_from_the_ring_breaks_instead_of_replaying()
    {
        using var rig = new QueueRig(size: 8);
        var q2 = new SplitQueue<FakeGuestMemory>(rig.Ram.Memory, 8);
        Assert.Null(q2.Start(rig.Driver.Rings, RingPosition.Split(1000)));
        rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        rig.Driver.Publish();
        Assert.False(q2.TryPop(rig.Chain));
        Assert.NotNull(q2.BrokenReason);
    }
}
