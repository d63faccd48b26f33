using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

public sealed class PackedEventTests
{
    private const ushort Enable = VirtioConstants.VRING_PACKED_EVENT_FLAG_ENABLE;
    private const ushort Disable = VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE;
    private const ushort Desc = VirtioConstants.VRING_PACKED_EVENT_FLAG_DESC;

    private static void CompleteOne(PackedRig rig)
    {
        rig.Driver.AddChain(rig.R());
        rig.Driver.Publish();
        rig.Queue.Complete(rig.Pop(), 1);
    }

    // ---- driver event area: interrupts ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DISABLE_suppresses_and_ENABLE_asks_for_every_interrupt(bool eventIdx)
    {
        using var rig = new PackedRig(eventIdx: eventIdx);
        for (int i = 0; i < 20; i++)
        {
            rig.Driver.DisableInterrupts();
            CompleteOne(rig);
            Assert.False(rig.Queue.InterruptDue());
            rig.Driver.TakeUsed();
            rig.Driver.EnableInterrupts();
            CompleteOne(rig);
            Assert.True(rig.Queue.InterruptDue());
            rig.Driver.TakeUsed();
        }
    }

    [Fact]
    public void DESC_without_event_idx_is_treated_as_ENABLE()
    {
        using var rig = new PackedRig(eventIdx: false);
        rig.Driver.InterruptAt(5, true);
        CompleteOne(rig);
        Assert.True(rig.Queue.InterruptDue());
    }

    /// <summary>Wrap counter of the lap holding absolute used position <paramref name="abs"/> on a fresh ring.</summary>
    private static bool WrapOf(int abs, int size) => (abs / size) % 2 == 0;

    [Theory]
    [InlineData(8)]
    [InlineData(5)]
    [InlineData(1)]
    public void DESC_with_event_idx_interrupts_exactly_when_the_published_range_contains_off_wrap(int size)
    {
        // Positions are absolute (counted since a fresh start); off_wrap encodes one as offset + lap wrap
        // counter. Every event within one ring size either side of the new used position is checked, for
        // every start position over three laps and every batch of 1..size completions.
        using var ram = new GuestRam(1 << 20);
        var driver = new PackedDriver(ram, (ushort)size);
        ulong data = ram.Alloc(16);
        var chains = new DescriptorChain[size];
        for (int i = 0; i < size; i++)
        {
            chains[i] = new DescriptorChain(4);
        }

        int checks = 0;
        for (int start = 0; start < 3 * size; start++)
        {
            for (int k = 1; k <= size; k++)
            {
                int end = start + k;
                for (int ev = end - size; ev < end + size; ev++)
                {
                    if (ev < 0)
                    {
                        continue;
                    }

                    driver.SkipTo((ushort)(start % size), WrapOf(start, size));
                    var q = new PackedQueue<FakeGuestMemory>(ram.Memory, (ushort)size) { EventIdx = true };
                    Assert.Null(q.Start(driver.Rings, new RingPosition((ushort)(start % size), WrapOf(start, size), (ushort)(start % size), WrapOf(start, size))));
                    for (int i = 0; i < k; i++)
                    {
                        driver.AddChain(new Buf(data, 16, false));
                    }

                    driver.Publish();
                    for (int i = 0; i < k; i++)
                    {
                        Assert.True(q.TryPop(chains[i]));
                    }

                    for (int i = k - 1; i >= 0; i--)
                    {
                        q.Complete(chains[i], 0);
                    }

                    driver.InterruptAt((ushort)(ev % size), WrapOf(ev, size));
                    bool expected = start <= ev && ev < end;
                    Assert.True(expected == q.InterruptDue(),
                        $"size {size} start {start} completions {k} event {ev}: expected {expected}");
                    Assert.Equal(k, driver.TakeUsed().Count);
                    checks++;
                }
            }
        }

        Assert.True(checks > 0);
    }

    [Theory]
    [InlineData(16, 10, 100, 10)]
    [InlineData(8, 5, 1000, 200)]
    [InlineData(8, 1, 1000, 1000)]
    [InlineData(256, 100, 10_000, 100)]
    public void Moving_the_event_every_n_completions_gives_one_interrupt_per_n(int size, int every, int requests, int expected)
    {
        using var rig = new PackedRig(size: (ushort)size);
        rig.Driver.InterruptAfter(every - 1);
        int interrupts = 0;
        int seen = 0;
        for (int i = 0; i < requests; i++)
        {
            CompleteOne(rig);
            if (rig.Queue.InterruptDue())
            {
                interrupts++;
                seen += rig.Driver.TakeUsed().Count;
                rig.Driver.InterruptAfter(every - 1);
            }
        }

        Assert.Equal(expected, interrupts);
        Assert.Equal(requests, seen);
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 2)]
    [InlineData(64, 3)]
    public void A_driver_that_rearms_at_its_next_used_position_never_misses_a_completion(int size, int seed)
    {
        // Linux's virtqueue_enable_cb_prepare_packed with EVENT_IDX: after draining, ask for an interrupt at
        // the next used position. Every batch of completions must then raise exactly one interrupt.
        var rng = new System.Random(seed);
        using var rig = new PackedRig(size: (ushort)size);
        rig.Driver.InterruptAfter(0);
        int interrupts = 0;
        int batches = 0;
        for (int round = 0; round < 3000; round++)
        {
            int n = rng.Next(1, size + 1);
            for (int i = 0; i < n; i++)
            {
                rig.Driver.AddChain(rig.R());
            }

            rig.Driver.Publish();
            for (int i = 0; i < n; i++)
            {
                Assert.True(rig.Queue.TryPop(rig.Chains[i]));
            }

            // Completed in chunks, checking after each, as the worker does per Process pass.
            int done = 0;
            bool interrupted = false;
            while (done < n)
            {
                int chunk = rng.Next(1, n - done + 1);
                for (int i = 0; i < chunk; i++)
                {
                    rig.Queue.Complete(rig.Chains[done + i], 0);
                }

                done += chunk;
                if (rig.Queue.InterruptDue())
                {
                    Assert.False(interrupted, "a second interrupt before the driver re-armed");
                    interrupted = true;
                    interrupts++;
                }
            }

            Assert.True(interrupted, "round " + round + ": no interrupt for a batch");
            batches++;
            Assert.Equal(n, rig.Driver.TakeUsed().Count);
            rig.Driver.InterruptAfter(0);
        }

        Assert.Equal(batches, interrupts);
    }

    [Fact]
    public void With_DISABLE_a_whole_simulated_run_raises_no_interrupt()
    {
        using var rig = new PackedRig(size: 8);
        rig.Driver.DisableInterrupts();
        for (int i = 0; i < 1000; i++)
        {
            CompleteOne(rig);
            Assert.False(rig.Queue.InterruptDue());
            rig.Driver.TakeUsed();
        }
    }

    // ---- device event area: kicks ----

    [Fact]
    public void EnableKicksAndRecheck_with_event_idx_writes_DESC_with_the_next_avail_position_and_wrap()
    {
        using var rig = new PackedRig(size: 8);
        rig.Driver.SetDeviceEvent(Disable, 0x1234);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(Desc, rig.Driver.DeviceEventFlags);
        Assert.Equal(PackedDriver.OffWrap(0, true), rig.Driver.DeviceEventOffWrap);

        for (int i = 0; i < 3; i++)
        {
            rig.Driver.AddChain(rig.R(), rig.R(), rig.W());
            Assert.Single(rig.RoundTrip()); // 9 slots in all: position 1 in the second lap
        }

        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(Desc, rig.Driver.DeviceEventFlags);
        Assert.Equal(PackedDriver.OffWrap(1, false), rig.Driver.DeviceEventOffWrap);
        Assert.Equal(PackedDriver.OffWrap(rig.Driver.NextAvail, rig.Driver.AvailWrap), rig.Driver.DeviceEventOffWrap);
    }

    [Fact]
    public void EnableKicksAndRecheck_without_event_idx_writes_ENABLE()
    {
        using var rig = new PackedRig(eventIdx: false);
        rig.Driver.SetDeviceEvent(Disable, 0);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(Enable, rig.Driver.DeviceEventFlags);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnableKicksAndRecheck_reports_chains_made_available_before_it_and_pops_nothing(bool eventIdx)
    {
        using var rig = new PackedRig(size: 8, eventIdx: eventIdx);
        for (int round = 0; round < 20; round++)
        {
            ushort id = rig.Driver.AddChain(rig.R(), rig.W());
            rig.Driver.Publish();
            ushort before = rig.Queue.LastAvailIndex;
            Assert.True(rig.Queue.EnableKicksAndRecheck());
            Assert.Equal(before, rig.Queue.LastAvailIndex);
            if (eventIdx)
            {
                Assert.Equal(PackedDriver.OffWrap(before, rig.Queue.AvailWrapCounter), rig.Driver.DeviceEventOffWrap);
            }

            Assert.Equal(id, rig.Pop().Head);
            rig.Queue.Complete(rig.Chain, 0);
            rig.Driver.TakeUsed();
            Assert.False(rig.Queue.EnableKicksAndRecheck());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DisableKicks_writes_DISABLE(bool eventIdx)
    {
        using var rig = new PackedRig(eventIdx: eventIdx);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        rig.Queue.DisableKicks();
        Assert.Equal(Disable, rig.Driver.DeviceEventFlags);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(eventIdx ? Desc : Enable, rig.Driver.DeviceEventFlags);
    }

    [Fact]
    public void A_driver_that_kicks_only_at_the_device_event_position_is_never_left_unserved()
    {
        // The driver kicks when the descriptor at off_wrap becomes available (DESC), otherwise not; the
        // device sleeps only when EnableKicksAndRecheck says nothing arrived. Nothing may be stranded.
        var rng = new System.Random(7);
        using var rig = new PackedRig(size: 8);
        bool deviceAsleep = false;
        int completed = 0;
        for (int round = 0; round < 5000; round++)
        {
            if (rig.Driver.Outstanding == 0 || rng.Next(2) == 0)
            {
                int n = rng.Next(1, 1 + System.Math.Min(3, rig.Driver.FreeDescriptors));
                ushort firstPos = rig.Driver.NextAvail;
                bool firstWrap = rig.Driver.AvailWrap;
                int slots = 0;
                for (int i = 0; i < n && rig.Driver.FreeDescriptors > 0; i++)
                {
                    rig.Driver.AddChain(rig.R());
                    slots++;
                }

                rig.Driver.Publish();
                if (slots > 0 && deviceAsleep)
                {
                    ushort flags = rig.Driver.DeviceEventFlags;
                    ushort ow = rig.Driver.DeviceEventOffWrap;
                    bool kick = flags == Enable;
                    if (flags == Desc)
                    {
                        // Did [firstPos, firstPos + slots) cover off_wrap?
                        for (int i = 0; i < slots; i++)
                        {
                            int pos = firstPos + i;
                            bool wrap = firstWrap;
                            if (pos >= 8)
                            {
                                pos -= 8;
                                wrap = !wrap;
                            }

                            kick |= PackedDriver.OffWrap((ushort)pos, wrap) == ow;
                        }
                    }

                    if (kick)
                    {
                        deviceAsleep = false;
                    }
                }
            }

            if (!deviceAsleep)
            {
                rig.Queue.DisableKicks();
                while (rig.Queue.TryPop(rig.Chain))
                {
                    rig.Queue.Complete(rig.Chain, 0);
                }

                completed += rig.Driver.TakeUsed().Count;
                if (!rig.Queue.EnableKicksAndRecheck())
                {
                    deviceAsleep = true;
                }
            }

            Assert.False(deviceAsleep && rig.Driver.Outstanding > 0, "round " + round + ": the device sleeps with work pending");
        }

        Assert.True(completed > 1000);
    }
}
