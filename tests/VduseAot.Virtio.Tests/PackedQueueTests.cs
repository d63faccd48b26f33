using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

public sealed unsafe class PackedQueueTests
{
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort AvailBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_AVAIL;
    private const ushort UsedBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_USED;

    // ---- construction and Start ----

    [Theory]
    [InlineData(0)]
    [InlineData(32769)]
    [InlineData(65535)]
    public void Constructor_rejects_sizes_outside_1_to_32768(int size)
    {
        using var ram = new GuestRam(4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PackedQueue<FakeGuestMemory>(ram.Memory, (ushort)size));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(32768)]
    public void Constructor_accepts_any_size_up_to_32768(int size)
    {
        using var ram = new GuestRam(4096);
        Assert.Equal((ushort)size, new PackedQueue<FakeGuestMemory>(ram.Memory, (ushort)size).Size);
    }

    [Fact]
    public void A_fresh_ring_pops_nothing_and_starts_with_both_wrap_counters_set()
    {
        using var rig = new PackedRig();
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Null(rig.Queue.BrokenReason);
        Assert.True(rig.Queue.AvailWrapCounter);
        Assert.True(rig.Queue.UsedWrapCounter);
        Assert.Equal(0, rig.Queue.LastAvailIndex);
        Assert.Equal(0, rig.Queue.NextUsedIndex);
        Assert.False(rig.Queue.CompletedSinceInterruptCheck);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)] // the device writes used descriptors into the ring
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)] // the device writes its event area
    public void Start_fails_when_an_area_is_unmapped(int area, bool readOnly)
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, 8);
        ulong[] iova = [driver.RingIova, driver.DriverEventIova, driver.DeviceEventIova];
        ram.Protect(iova[area] + 2, 1, readOnly);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.False(string.IsNullOrEmpty(q.Start(driver.Rings, RingPosition.FreshPacked)));
        Assert.NotNull(q.BrokenReason);
    }

    [Fact]
    public void Start_accepts_a_read_only_driver_event_area()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, 8);
        ram.Protect(driver.DriverEventIova, 4, readOnly: true);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.Null(q.Start(driver.Rings, RingPosition.FreshPacked));
    }

    [Fact]
    public void After_a_failed_start_the_queue_serves_nothing_and_kick_calls_do_not_throw()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, 8);
        ram.Protect(driver.RingIova + 16, 4, readOnly: false);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, 8) { EventIdx = true };
        Assert.NotNull(q.Start(driver.Rings, RingPosition.FreshPacked));
        ulong data = ram.Alloc(16);
        driver.AddChain(new Buf(data, 16, false));
        driver.Publish();
        var chain = new DescriptorChain(8);
        bool popped = true;
        Assert.Null(Record.Exception(() =>
        {
            popped = q.TryPop(chain);
            Assert.False(q.EnableKicksAndRecheck());
            q.DisableKicks();
            q.FlushUsed();
        }));
        Assert.False(popped);
        Assert.NotNull(q.BrokenReason);
    }

    [Fact]
    public void InterruptDue_after_a_start_that_failed_on_the_driver_event_area_does_not_throw()
    {
        // SplitQueue survives every call after a failed Start; PackedQueue.InterruptDue reads
        // _driverEvent without a null check (Remap logs a failed Start and keeps the queue).
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, 8);
        ram.Protect(driver.DriverEventIova, 4, readOnly: false);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, 8) { EventIdx = true };
        Assert.NotNull(q.Start(driver.Rings, RingPosition.FreshPacked));
        Assert.Null(Record.Exception(() => q.InterruptDue()));
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(0, 8)]
    [InlineData(0x7fff, 0)]
    [InlineData(0, 0x7fff)]
    public void Start_rejects_ring_indexes_outside_the_ring(int availIndex, int usedIndex)
    {
        // The state comes from VDUSE_VQ_GET_INFO (set by the VMM through vhost-vdpa SET_VRING_BASE): up to
        // 15 bits, not checked against num. An index >= Size makes TryPop read and Complete write past the ring.
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, 8);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, 8);
        Assert.NotNull(q.Start(driver.Rings, new RingPosition((ushort)availIndex, true, (ushort)usedIndex, true)));
        Assert.NotNull(q.BrokenReason);
        Assert.False(q.TryPop(new DescriptorChain(8)));
    }

    // ---- single chains ----

    [Fact]
    public void Publish_is_what_makes_a_chain_available()
    {
        using var rig = new PackedRig();
        rig.Driver.AddChain(rig.R(), rig.W());
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        rig.Driver.Publish();
        Assert.True(rig.Queue.EnableKicksAndRecheck());
        Assert.True(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void A_chain_pops_with_its_segments_the_buffer_id_of_its_last_descriptor_and_its_slot_count()
    {
        using var rig = new PackedRig();
        ushort id = rig.Driver.AddChain(rig.R(16), rig.R(100, 64), rig.W(512), rig.W(1));
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(4, c.RingSlots);
        Assert.Equal(4, c.DescriptorCount);
        Assert.Equal(2, c.ReadableCount);
        Assert.Equal(116UL, c.ReadableBytes);
        Assert.Equal(2, c.WritableCount);
        Assert.Equal(513UL, c.WritableBytes);
        Assert.True(rig.Ram.Host(rig.Data) == c.Readable[0].Host);
        Assert.True(rig.Ram.Host(rig.Data + 64) == c.Readable[1].Host);
        Assert.True(rig.Ram.Host(rig.Data + 32768) == c.Writable[0].Host);
        Assert.Equal(4, rig.Queue.LastAvailIndex);
        Assert.False(rig.Queue.TryPop(rig.Chain));

        Assert.False(rig.Queue.CompletedSinceInterruptCheck);
        rig.Queue.Complete(c, 77);
        Assert.True(rig.Queue.CompletedSinceInterruptCheck);
        Assert.Equal(4, rig.Queue.NextUsedIndex);
        Assert.Equal(1UL, rig.Queue.CompletedTotal);

        // The used descriptor sits at the chain's first slot with AVAIL == USED == used wrap counter.
        vring_packed_desc used = rig.Driver.ReadDescriptor(0);
        Assert.Equal(AvailBit | UsedBit, used.flags);
        Assert.Equal(id, used.id);
        Assert.Equal(77u, used.len);

        List<UsedEntry> got = rig.Driver.TakeUsed();
        Assert.Equal([new UsedEntry(id, 77)], got);
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(8, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void A_chain_of_exactly_Size_descriptors_is_valid()
    {
        using var rig = new PackedRig(size: 8);
        var bufs = Enumerable.Range(0, 8).Select(i => i < 5 ? rig.R(8, (uint)i * 8) : rig.W(8, (uint)i * 8)).ToArray();
        ushort id = rig.Driver.AddChain(bufs);
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(8, c.RingSlots);
        Assert.Equal(id, c.Head);
        Assert.False(rig.Queue.AvailWrapCounter);
        Assert.Equal(0, rig.Queue.LastAvailIndex);
        rig.Queue.Complete(c, 3);
        Assert.False(rig.Queue.UsedWrapCounter);
        Assert.Equal([new UsedEntry(id, 3)], rig.Driver.TakeUsed());
        Assert.Null(rig.Queue.BrokenReason);

        // Second lap works with the flipped counters.
        ushort id2 = rig.Driver.AddChain(rig.R(), rig.W());
        Assert.Equal([new UsedEntry(id2, id2 + 1000u)], rig.RoundTrip());
    }

    [Theory]
    [InlineData(8, 2)]
    [InlineData(8, 3)]
    [InlineData(8, 8)]
    [InlineData(256, 5)]
    [InlineData(3, 3)]
    public void A_chain_starting_at_the_last_slot_crosses_the_wrap(int size, int length)
    {
        using var rig = new PackedRig(size: (ushort)size);
        for (int i = 0; i < size - 1; i++)
        {
            rig.Driver.AddChain(rig.R());
        }

        Assert.Equal(size - 1, rig.RoundTrip().Count);
        Assert.Equal(size - 1, rig.Queue.LastAvailIndex);
        Assert.True(rig.Queue.AvailWrapCounter);

        Buf[] bufs = Enumerable.Range(0, length).Select(i => i == length - 1 ? rig.W(4, (uint)i * 16) : rig.R(4, (uint)i * 16)).ToArray();
        ushort id = rig.Driver.AddChain(bufs);
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(length, c.RingSlots);
        Assert.Equal(length - 1, c.ReadableCount);
        Assert.Equal(1, c.WritableCount);
        Assert.Equal((length - 1) % size, rig.Queue.LastAvailIndex);
        Assert.False(rig.Queue.AvailWrapCounter);
        rig.Queue.Complete(c, 9);
        Assert.False(rig.Queue.UsedWrapCounter);
        Assert.Equal([new UsedEntry(id, 9)], rig.Driver.TakeUsed());
        Assert.Equal(size, rig.Driver.FreeDescriptors);

        // And the ring keeps going in the next lap.
        for (int round = 0; round < 3 * size; round++)
        {
            ushort a = rig.Driver.AddChain(rig.R(), rig.W());
            List<UsedEntry> u = rig.RoundTrip();
            Assert.Equal([new UsedEntry(a, a + 1000u)], u);
        }
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 2)]
    [InlineData(256, 1)]
    [InlineData(256, 2)]
    public void Thousands_of_requests_wrap_the_ring_many_times(int size, int seed)
    {
        using var rig = new PackedRig(size: (ushort)size);
        var rng = new Random(seed);
        int total = 0;
        int laps = 0;
        bool lastWrap = true;
        while (total < 20_000)
        {
            var expected = new Dictionary<ushort, int>();
            int batch = rng.Next(1, size + 1);
            for (int i = 0; i < batch; i++)
            {
                int len = rng.Next(1, Math.Min(5, rig.Driver.FreeDescriptors) + 1);
                if (rig.Driver.FreeDescriptors == 0)
                {
                    break;
                }

                Buf[] bufs = Enumerable.Range(0, len).Select(k => k == len - 1 ? rig.W(1) : rig.R(8)).ToArray();
                expected[rig.Driver.AddChain(bufs)] = len;
            }

            List<UsedEntry> got = rig.RoundTrip();
            Assert.Equal(expected.Count, got.Count);
            foreach (UsedEntry e in got)
            {
                Assert.True(expected.Remove((ushort)e.Id));
                Assert.Equal(e.Id + 1000u, e.Length);
            }

            total += got.Count;
            Assert.Equal(0, rig.Driver.Outstanding);
            Assert.Equal(rig.Driver.NextAvail, rig.Queue.LastAvailIndex);
            Assert.Equal(rig.Driver.AvailWrap, rig.Queue.AvailWrapCounter);
            Assert.Equal(rig.Driver.NextUsed, rig.Queue.NextUsedIndex);
            Assert.Equal(rig.Driver.UsedWrap, rig.Queue.UsedWrapCounter);
            if (rig.Queue.AvailWrapCounter != lastWrap)
            {
                laps++;
                lastWrap = rig.Queue.AvailWrapCounter;
            }
        }

        Assert.Null(rig.Queue.BrokenReason);
        Assert.Equal((ulong)total, rig.Queue.CompletedTotal);
        Assert.True(laps >= 20_000 / size / 2 / 2, "only " + laps + " laps");
    }

    // ---- out-of-order completion ----

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(256)]
    public void Completing_in_reverse_order_returns_the_right_ids_and_lengths_and_slots_are_reused(int size)
    {
        using var rig = new PackedRig(size: (ushort)size);
        for (int round = 0; round < 50; round++)
        {
            var ids = new List<ushort>();
            while (rig.Driver.FreeDescriptors >= 3)
            {
                ids.Add(rig.Driver.AddChain(rig.R(), rig.R(), rig.W()));
            }

            if (rig.Driver.FreeDescriptors > 0)
            {
                ids.Add(rig.Driver.AddChain(rig.W()));
            }

            rig.Driver.Publish();
            int n = 0;
            while (rig.Queue.TryPop(rig.Chains[n]))
            {
                Assert.Equal(ids[n], rig.Chains[n].Head);
                n++;
            }

            Assert.Equal(ids.Count, n);
            for (int i = n - 1; i >= 0; i--)
            {
                rig.Queue.Complete(rig.Chains[i], (uint)(i * 3));
            }

            List<UsedEntry> got = rig.Driver.TakeUsed();
            Assert.Equal(Enumerable.Range(0, n).Reverse().Select(i => new UsedEntry(ids[i], (uint)(i * 3))), got);
            Assert.Equal(size, rig.Driver.FreeDescriptors);
            Assert.Equal(rig.Driver.NextUsed, rig.Queue.NextUsedIndex);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_completion_order_with_chains_of_different_lengths_keeps_driver_and_device_in_step(int seed)
    {
        var rng = new Random(seed);
        using var rig = new PackedRig(size: 16);
        var held = new List<DescriptorChain>();
        var free = new Stack<DescriptorChain>(rig.Chains);
        var lengthOf = new Dictionary<ushort, uint>();
        int completed = 0;
        for (int step = 0; step < 5000; step++)
        {
            // Add a few chains of random length while room lasts.
            int adds = rng.Next(0, 4);
            for (int a = 0; a < adds && rig.Driver.FreeDescriptors > 0 && rig.Driver.Outstanding < 16; a++)
            {
                int len = rng.Next(1, Math.Min(4, rig.Driver.FreeDescriptors) + 1);
                rig.Driver.AddChain(Enumerable.Range(0, len).Select(_ => rig.R()).ToArray());
            }

            rig.Driver.Publish();
            while (free.Count > 0 && rng.Next(3) != 0)
            {
                DescriptorChain c = free.Pop();
                if (!rig.Queue.TryPop(c))
                {
                    free.Push(c);
                    break;
                }

                held.Add(c);
            }

            int completes = rng.Next(0, held.Count + 1);
            for (int k = 0; k < completes; k++)
            {
                int pick = rng.Next(held.Count);
                DescriptorChain c = held[pick];
                held.RemoveAt(pick);
                uint len = (uint)rng.Next(0, 100000);
                lengthOf[c.Head] = len;
                rig.Queue.Complete(c, len);
                free.Push(c);
            }

            foreach (UsedEntry e in rig.Driver.TakeUsed())
            {
                Assert.True(lengthOf.Remove((ushort)e.Id, out uint len));
                Assert.Equal(len, e.Length);
                completed++;
            }
        }

        // Drain.
        rig.Driver.Publish();
        while (free.Count > 0 && rig.Queue.TryPop(free.Peek()))
        {
            held.Add(free.Pop());
        }

        foreach (DescriptorChain c in held)
        {
            lengthOf[c.Head] = 5;
            rig.Queue.Complete(c, 5);
        }

        completed += rig.Driver.TakeUsed().Count;
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(16, rig.Driver.FreeDescriptors);
        Assert.Equal((ulong)completed, rig.Queue.CompletedTotal);
        Assert.Null(rig.Queue.BrokenReason);
    }

    // ---- malformed chains ----

    [Fact]
    public void A_zero_length_descriptor_pops_with_ZeroLength_and_still_completes()
    {
        using var rig = new PackedRig();
        ushort id = rig.Driver.AddChain(rig.R(), new Buf(rig.Data, 0, false), rig.W());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.ZeroLength, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(3, c.RingSlots);
        rig.Queue.Complete(c, 0);
        Assert.Equal([new UsedEntry(id, 0)], rig.Driver.TakeUsed());
        Assert.Equal(8, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void A_readable_descriptor_after_a_writable_one_pops_with_ReadableAfterWritable()
    {
        using var rig = new PackedRig();
        ushort id = rig.Driver.AddChain(rig.R(), rig.W(), rig.R(), rig.W());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.ReadableAfterWritable, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(4, c.RingSlots);
        Assert.Equal(4, c.DescriptorCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_unmapped_buffer_pops_with_UnmappedAddress(bool writeToReadOnly)
    {
        using var rig = new PackedRig();
        ulong buf = rig.Ram.Alloc(64, 64);
        rig.Ram.Protect(buf, 64, readOnly: writeToReadOnly);
        ushort id = rig.Driver.AddChain(rig.R(), new Buf(writeToReadOnly ? buf : 0xdead_0000, 16, writeToReadOnly), rig.W());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.UnmappedAddress, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(3, c.RingSlots);
        rig.Queue.Complete(c, 0);
        Assert.Single(rig.Driver.TakeUsed());
    }

    [Fact]
    public void Malformed_chains_do_not_disturb_the_chains_around_them()
    {
        using var rig = new PackedRig(size: 16);
        for (int round = 0; round < 40; round++)
        {
            ushort a = rig.Driver.AddChain(rig.R(), rig.W());
            ushort b = rig.Driver.AddChain(rig.W(), rig.R(), rig.R());
            ushort c = rig.Driver.AddChain(rig.R(), rig.W());
            rig.Driver.Publish();
            DescriptorChain ca = rig.Pop(rig.Chains[0]);
            DescriptorChain cb = rig.Pop(rig.Chains[1]);
            DescriptorChain cc = rig.Pop(rig.Chains[2]);
            Assert.Equal((a, ChainError.None), (ca.Head, ca.Error));
            Assert.Equal((b, ChainError.ReadableAfterWritable, (ushort)3), (cb.Head, cb.Error, cb.RingSlots));
            Assert.Equal((c, ChainError.None), (cc.Head, cc.Error));
            rig.Queue.Complete(cb, 0);
            rig.Queue.Complete(cc, 2);
            rig.Queue.Complete(ca, 1);
            Assert.Equal([new UsedEntry(b, 0), new UsedEntry(c, 2), new UsedEntry(a, 1)], rig.Driver.TakeUsed());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    public void A_chain_with_NEXT_on_every_descriptor_breaks_the_ring(int start)
    {
        using var rig = new PackedRig(size: 8);
        for (int i = 0; i < start; i++)
        {
            rig.Driver.AddChain(rig.R());
        }

        Assert.Equal(start, rig.RoundTrip().Count);
        rig.Driver.AddRaw(Enumerable.Range(0, 8).Select(i => new RawDesc(rig.Data, 16, N)).ToArray());
        rig.Driver.Publish();
        bool popped = true;
        Assert.Null(Record.Exception(() => popped = rig.Queue.TryPop(rig.Chain)));
        Assert.False(popped);
        Assert.NotNull(rig.Queue.BrokenReason);
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(start, rig.Queue.LastAvailIndex);
    }

    [Fact]
    public void The_buffer_id_comes_from_the_last_descriptor_only()
    {
        // PackedDriver writes a wrong id into every descriptor but the last.
        using var rig = new PackedRig();
        ushort head = rig.Driver.NextAvail;
        ushort id = rig.Driver.AddRaw(new RawDesc(rig.Data, 4, N), new RawDesc(rig.Data, 4, N), new RawDesc(rig.Data + 32768, 4, W));
        rig.Driver.Publish();
        // The test is only worth something if the first two descriptors really carry another id.
        Assert.NotEqual(id, rig.Driver.ReadDescriptor(head).id);
        Assert.NotEqual(id, rig.Driver.ReadDescriptor((ushort)(head + 1)).id);
        Assert.Equal(id, rig.Driver.ReadDescriptor((ushort)(head + 2)).id);
        Assert.Equal(id, rig.Pop().Head);
    }

    // ---- Start with a non-fresh state ----

    [Theory]
    [InlineData(8, 0, false)]
    [InlineData(8, 5, true)]
    [InlineData(8, 7, false)]
    [InlineData(13, 12, false)]
    [InlineData(256, 100, false)]
    public void Start_from_a_saved_state_continues_the_ring(int size, int index, bool wrap)
    {
        using var ram = new GuestRam(4UL << 20);
        var driver = new PackedDriver(ram, (ushort)size);
        driver.SkipTo((ushort)index, wrap);
        var q = new PackedQueue<FakeGuestMemory>(ram.Memory, (ushort)size);
        Assert.Null(q.Start(driver.Rings, new RingPosition((ushort)index, wrap, (ushort)index, wrap)));
        Assert.False(q.TryPop(new DescriptorChain(8)));
        ulong data = ram.Alloc(64);
        var chain = new DescriptorChain(16);
        for (int i = 0; i < 5 * size; i++)
        {
            ushort id = driver.AddChain(new Buf(data, 8, false), new Buf(data + 16, 8, true));
            driver.Publish();
            Assert.True(q.TryPop(chain));
            Assert.Equal(id, chain.Head);
            q.Complete(chain, 1);
            Assert.Equal([new UsedEntry(id, 1)], driver.TakeUsed());
        }

        Assert.Equal(driver.NextAvail, q.LastAvailIndex);
        Assert.Equal(driver.AvailWrap, q.AvailWrapCounter);
        Assert.Null(q.BrokenReason);
    }

    [Theory]
    [InlineData(8, 13)]
    [InlineData(8, 21)]
    [InlineData(256, 300)]
    public void A_second_queue_started_with_the_first_ones_state_takes_over_mid_lap(int size, int before)
    {
        using var rig = new PackedRig(size: (ushort)size);
        for (int i = 0; i < before; i++)
        {
            rig.Driver.AddChain(rig.R(), rig.W());
            Assert.Single(rig.RoundTrip());
        }

        // Chains published but not yet popped when the old queue stops.
        ushort p1 = rig.Driver.AddChain(rig.R());
        ushort p2 = rig.Driver.AddChain(rig.R(), rig.R(), rig.W());
        rig.Driver.Publish();
        PackedQueue<FakeGuestMemory> old = rig.Queue;
        var q = new PackedQueue<FakeGuestMemory>(rig.Ram.Memory, (ushort)size) { Indirect = true, EventIdx = true };
        Assert.Null(q.Start(rig.Driver.Rings, new RingPosition(old.LastAvailIndex, old.AvailWrapCounter, old.NextUsedIndex, old.UsedWrapCounter)));
        var c1 = new DescriptorChain(16);
        var c2 = new DescriptorChain(16);
        Assert.True(q.TryPop(c1));
        Assert.True(q.TryPop(c2));
        Assert.Equal((p1, p2), (c1.Head, c2.Head));
        q.Complete(c2, 2);
        q.Complete(c1, 1);
        Assert.Equal([new UsedEntry(p2, 2), new UsedEntry(p1, 1)], rig.Driver.TakeUsed());
        for (int i = 0; i < 3 * size; i++)
        {
            ushort id = rig.Driver.AddChain(rig.R(), rig.W());
            rig.Driver.Publish();
            Assert.True(q.TryPop(c1));
            Assert.Equal(id, c1.Head);
            q.Complete(c1, 7);
            Assert.Equal([new UsedEntry(id, 7)], rig.Driver.TakeUsed());
        }
    }

    [Fact]
    public void A_second_queue_started_with_popped_but_uncompleted_chains_writes_used_descriptors_where_the_driver_expects_them()
    {
        // Reconnect-like: the old queue popped two chains and completed one; the new queue starts from its
        // state, and the remaining in-flight chain is completed through the new queue.
        using var rig = new PackedRig(size: 8);
        for (int i = 0; i < 6; i++)
        {
            rig.Driver.AddChain(rig.R());
        }

        Assert.Equal(6, rig.RoundTrip().Count);
        ushort a = rig.Driver.AddChain(rig.R(), rig.W());
        ushort b = rig.Driver.AddChain(rig.R(), rig.W());
        rig.Driver.Publish();
        DescriptorChain ca = rig.Pop(rig.Chains[0]);
        DescriptorChain cb = rig.Pop(rig.Chains[1]);
        rig.Queue.Complete(cb, 2);
        PackedQueue<FakeGuestMemory> old = rig.Queue;
        var q = new PackedQueue<FakeGuestMemory>(rig.Ram.Memory, 8);
        Assert.Null(q.Start(rig.Driver.Rings, new RingPosition(old.LastAvailIndex, old.AvailWrapCounter, old.NextUsedIndex, old.UsedWrapCounter)));
        q.Complete(ca, 1);
        Assert.Equal([new UsedEntry(b, 2), new UsedEntry(a, 1)], rig.Driver.TakeUsed());
        Assert.Equal(0, rig.Driver.Outstanding);
    }
}
