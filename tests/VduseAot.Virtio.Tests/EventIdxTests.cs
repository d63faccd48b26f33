using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// Notification suppression (virtio 1.2 section 2.7.7 and 2.7.10): VIRTIO_RING_F_EVENT_IDX's used_event and
/// avail_event, and the flags that replace them when the feature is off.
/// </summary>
public sealed unsafe class EventIdxTests
{
    /// <summary>Reference for vring_need_event written without modular tricks: did [old, old + count) contain the event index?</summary>
    private static bool Crosses(ushort old, int count, ushort eventIndex)
    {
        for (int k = 0; k < count; k++)
        {
            if ((ushort)(old + k) == eventIndex)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The driver's side of vring_need_event, for kicks: (u16)(new - event - 1) &lt; (u16)(new - old).</summary>
    private static bool DriverMustKick(ushort availEvent, ushort newIdx, ushort oldIdx) => (ushort)(newIdx - availEvent - 1) < (ushort)(newIdx - oldIdx);

    /// <summary>Puts both ring indices of an idle rig at <paramref name="start"/> and restarts its queue there.</summary>
    private static void Restart(QueueRig rig, ushort start)
    {
        rig.Driver.SkipTo(start);
        Assert.Null(rig.Queue.Start(rig.Driver.Rings, RingPosition.Split(start)));
        Assert.Equal(start, rig.Queue.NextUsedIndex);
        Assert.Equal(start, rig.Queue.LastAvailIndex);
    }

    // ---- ShouldInterrupt ----

    [Theory]
    [InlineData(0, 1, 0, true)]
    [InlineData(0, 1, 1, false)]
    [InlineData(0, 3, 2, true)]
    [InlineData(0, 3, 3, false)]
    [InlineData(10, 1, 5, false)]           // the event index was passed earlier: no second interrupt
    [InlineData(10, 4, 9, false)]
    [InlineData(10, 4, 10, true)]
    [InlineData(10, 4, 13, true)]
    [InlineData(10, 4, 14, false)]
    [InlineData(65535, 1, 65535, true)]    // 65535 -> 0 writes entry 65535
    [InlineData(65535, 1, 0, false)]
    [InlineData(65534, 3, 0, true)]        // 65534 -> 1 crosses the wrap and entry 0
    [InlineData(65534, 3, 1, false)]
    [InlineData(65534, 2, 65533, false)]
    [InlineData(65533, 8, 2, true)]
    [InlineData(65533, 8, 5, false)]
    public void ShouldInterrupt_with_event_idx_follows_vring_need_event(int old, int count, int usedEvent, bool expected)
    {
        using var rig = new QueueRig(8);
        Restart(rig, (ushort)old);
        rig.Queue.EventIdx = true;
        for (int i = 0; i < count; i++)
        {
            rig.Queue.AddUsed((ushort)i, 0);
        }

        Assert.True(rig.Queue.PublishUsed());
        rig.Driver.WriteUsedEvent((ushort)usedEvent);
        Assert.Equal(expected, rig.Queue.ShouldInterrupt((ushort)old));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(65528)]
    [InlineData(65531)]
    [InlineData(65535)]
    public void ShouldInterrupt_with_event_idx_is_true_exactly_when_the_published_range_contains_used_event(int start)
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        int cases = 0, fired = 0;
        for (int count = 1; count <= 8; count++)
        {
            // The device may publish in two steps and check once, against the index at its last check.
            for (int split = 0; split <= count; split++)
            {
                for (int delta = -6; delta <= 12; delta++)
                {
                    ushort old = (ushort)start;
                    ushort mid = (ushort)(start + split);
                    ushort ev = (ushort)(start + delta);
                    Restart(rig, old);
                    for (int i = 0; i < split; i++)
                    {
                        rig.Queue.AddUsed(0, 0);
                    }

                    rig.Queue.PublishUsed();
                    for (int i = split; i < count; i++)
                    {
                        rig.Queue.AddUsed(0, 0);
                    }

                    rig.Queue.PublishUsed();
                    Assert.Equal((ushort)(start + count), rig.UsedIdxInMemory);
                    rig.Driver.WriteUsedEvent(ev);

                    bool expected = Crosses(old, count, ev);
                    Assert.True(expected == rig.Queue.ShouldInterrupt(old), $"old {old} count {count} used_event {ev}: expected {expected}");
                    Assert.True(Crosses(mid, count - split, ev) == rig.Queue.ShouldInterrupt(mid), $"old {mid} count {count - split} used_event {ev}");
                    cases++;
                    fired += expected ? 1 : 0;
                }
            }
        }

        Assert.True(fired > 0 && fired < cases);
    }

    [Fact]
    public void ShouldInterrupt_with_event_idx_ignores_the_no_interrupt_flag()
    {
        // Spec 2.7.7.2: with EVENT_IDX the device MUST ignore the lower bit of avail->flags.
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        rig.Driver.SuppressInterrupts(true);
        rig.Driver.WriteUsedEvent(0);
        rig.Queue.AddUsed(0, 0);
        rig.Queue.PublishUsed();
        Assert.True(rig.Queue.ShouldInterrupt(0));

        rig.Driver.SuppressInterrupts(false);
        rig.Driver.WriteUsedEvent(5);
        rig.Queue.AddUsed(0, 0);
        rig.Queue.PublishUsed();
        Assert.False(rig.Queue.ShouldInterrupt(1));
    }

    [Theory]
    [InlineData(false, 0, true)]
    [InlineData(false, 100, true)]    // used_event is not consulted without the feature
    [InlineData(true, 0, false)]
    [InlineData(true, 100, false)]
    public void ShouldInterrupt_without_event_idx_follows_the_no_interrupt_flag(bool suppress, int usedEvent, bool expected)
    {
        using var rig = new QueueRig(8);
        Assert.False(rig.Queue.EventIdx);
        rig.Driver.SuppressInterrupts(suppress);
        rig.Driver.WriteUsedEvent((ushort)usedEvent);
        rig.Queue.AddUsed(0, 0);
        rig.Queue.AddUsed(1, 0);
        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(expected, rig.Queue.ShouldInterrupt(0));
        Assert.Equal(expected, rig.Queue.ShouldInterrupt(1));
        Assert.Equal(expected, rig.Queue.DriverWantsInterrupt());
    }

    // ---- interrupts in a run ----

    /// <summary>
    /// 100 requests, published and completed one at a time. The driver reads every completion but moves used_event to
    /// its last seen used index only every <paramref name="every"/> completions (0: never after the first), starting
    /// from used_event = the first index. Returns the request numbers (1-based) that got an interrupt.
    /// </summary>
    private static List<int> Run(bool eventIdx, int every, ushort start)
    {
        using var rig = new QueueRig(8);
        Restart(rig, start);
        rig.Queue.EventIdx = eventIdx;
        rig.Driver.WriteUsedEvent(start);
        ulong buf = rig.Buffer(64);
        var interrupts = new List<int>();
        for (int i = 1; i <= 100; i++)
        {
            ushort head = rig.Driver.AddChain(new Buf(buf, 64, true));
            rig.Driver.Publish();
            Assert.True(rig.Queue.TryPop(rig.Chain));
            Assert.Equal(head, rig.Chain.Head);
            ushort atLastCheck = rig.Queue.NextUsedIndex;
            rig.Queue.AddUsed(rig.Chain.Head, 64);
            Assert.True(rig.Queue.PublishUsed());
            if (rig.Queue.ShouldInterrupt(atLastCheck))
            {
                interrupts.Add(i);
            }

            Assert.Equal([new UsedEntry(head, 64)], rig.Driver.TakeUsed());
            if (every != 0 && i % every == 0)
            {
                rig.Driver.WriteUsedEvent(rig.Driver.LastSeenUsed);
            }
        }

        Assert.Equal((ushort)(start + 100), rig.Queue.NextUsedIndex);
        Assert.Equal(0, rig.Driver.Outstanding);
        return interrupts;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65500)] // used index wraps at request 36
    [InlineData(65535)]
    public void Moving_used_event_every_10_completions_gives_10_interrupts_for_100_requests(int start)
    {
        List<int> interrupts = Run(eventIdx: true, every: 10, (ushort)start);

        // used_event = start fires on the first completion; used_event = seen (10, 20, ...) on the one after.
        Assert.Equal([1, 11, 21, 31, 41, 51, 61, 71, 81, 91], interrupts);
    }

    [Theory]
    [InlineData(true, 1, 0, 100)]     // used_event moved after every completion: every completion interrupts
    [InlineData(true, 0, 0, 1)]       // never moved: only the first
    [InlineData(true, 0, 65530, 1)]
    [InlineData(true, 25, 0, 4)]
    [InlineData(false, 10, 0, 100)]   // without the feature used_event means nothing
    public void Interrupt_count_follows_used_event(bool eventIdx, int every, int start, int expected)
    {
        Assert.Equal(expected, Run(eventIdx, every, (ushort)start).Count);
    }

    // ---- kicks: EnableKicksAndRecheck and DisableKicks ----

    private static ushort[] AddChains(QueueRig rig, int count)
    {
        var heads = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            heads[i] = rig.Driver.AddChain(new Buf(rig.Buffer(16), 16, false));
        }

        return heads;
    }

    private static void PopAll(QueueRig rig, int expected)
    {
        for (int i = 0; i < expected; i++)
        {
            Assert.True(rig.Queue.TryPop(rig.Chain));
            rig.Queue.AddUsed(rig.Chain.Head, 0);
        }

        Assert.False(rig.Queue.TryPop(rig.Chain));
        rig.Queue.PublishUsed();
        rig.Driver.TakeUsed();
    }

    [Fact]
    public void EnableKicksAndRecheck_with_event_idx_writes_avail_event_and_reports_nothing_new()
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        AddChains(rig, 3);
        rig.Driver.Publish();
        PopAll(rig, 3);

        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(3, rig.Queue.LastAvailIndex);
        Assert.Equal(rig.Queue.LastAvailIndex, rig.Driver.ReadAvailEvent());
        Assert.Equal(0, rig.Driver.UsedFlags);
    }

    [Fact]
    public void EnableKicksAndRecheck_with_event_idx_reports_chains_published_before_the_call()
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        AddChains(rig, 3);
        rig.Driver.Publish();
        PopAll(rig, 3);
        Assert.False(rig.Queue.HasAvailable());

        // The driver publishes after the device's last look but before it re-enables kicks (and may not kick).
        AddChains(rig, 2);
        rig.Driver.Publish();
        Assert.True(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(3, rig.Driver.ReadAvailEvent());   // LastAvailIndex: nothing of the new pair popped yet
        PopAll(rig, 2);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(5, rig.Driver.ReadAvailEvent());
        Assert.Equal(rig.Queue.LastAvailIndex, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void EnableKicksAndRecheck_with_event_idx_writes_the_next_avail_index_to_pop_not_the_last_seen_one()
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        AddChains(rig, 2);
        rig.Driver.Publish();
        PopAll(rig, 2);

        // The device has already seen the driver's newer avail->idx but popped nothing of it.
        AddChains(rig, 3);
        rig.Driver.Publish();
        Assert.True(rig.Queue.HasAvailable());
        Assert.True(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(2, rig.Queue.LastAvailIndex);
        Assert.Equal(2, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void EnableKicksAndRecheck_with_event_idx_writes_the_wrapped_avail_index()
    {
        using var rig = new QueueRig(8);
        Restart(rig, 65534);
        rig.Queue.EventIdx = true;
        AddChains(rig, 3);
        rig.Driver.Publish();
        PopAll(rig, 3);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(1, rig.Queue.LastAvailIndex);
        Assert.Equal(1, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void With_event_idx_a_stale_avail_event_suppresses_kicks_until_the_device_re_enables_them()
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        Assert.False(rig.Queue.EnableKicksAndRecheck()); // device sleeps: avail_event = 0

        // First publish after the device slept needs a kick.
        ushort old = rig.Driver.PushedAvail;
        AddChains(rig, 1);
        rig.Driver.Publish();
        Assert.True(DriverMustKick(rig.Driver.ReadAvailEvent(), rig.Driver.PushedAvail, old));

        // The device wakes and polls (DisableKicks leaves avail_event stale): further publishes need no kick.
        rig.Queue.DisableKicks();
        Assert.Equal(0, rig.Driver.UsedFlags);
        Assert.Equal(0, rig.Driver.ReadAvailEvent());
        PopAll(rig, 1);
        old = rig.Driver.PushedAvail;
        AddChains(rig, 2);
        rig.Driver.Publish();
        Assert.False(DriverMustKick(rig.Driver.ReadAvailEvent(), rig.Driver.PushedAvail, old));

        // Before sleeping again the device re-checks, finds them, serves them, and re-enables.
        Assert.True(rig.Queue.EnableKicksAndRecheck());
        PopAll(rig, 2);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(3, rig.Driver.ReadAvailEvent());
        old = rig.Driver.PushedAvail;
        AddChains(rig, 1);
        rig.Driver.Publish();
        Assert.True(DriverMustKick(rig.Driver.ReadAvailEvent(), rig.Driver.PushedAvail, old));
    }

    [Fact]
    public void Without_event_idx_DisableKicks_sets_no_notify_and_EnableKicksAndRecheck_clears_it()
    {
        using var rig = new QueueRig(8);
        Assert.False(rig.Queue.EventIdx);
        rig.Queue.DisableKicks();
        Assert.Equal(VirtioConstants.VRING_USED_F_NO_NOTIFY, rig.Driver.UsedFlags);

        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(0, rig.Driver.UsedFlags);
        Assert.Equal(0, rig.Driver.ReadAvailEvent()); // avail_event is not written without the feature

        rig.Queue.DisableKicks();
        Assert.Equal(VirtioConstants.VRING_USED_F_NO_NOTIFY, rig.Driver.UsedFlags);
        AddChains(rig, 2);
        rig.Driver.Publish();
        Assert.True(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(0, rig.Driver.UsedFlags);
        PopAll(rig, 2);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(0, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void With_event_idx_DisableKicks_touches_neither_flags_nor_avail_event()
    {
        using var rig = new QueueRig(8);
        rig.Queue.EventIdx = true;
        AddChains(rig, 2);
        rig.Driver.Publish();
        PopAll(rig, 2);
        Assert.False(rig.Queue.EnableKicksAndRecheck());
        Assert.Equal(2, rig.Driver.ReadAvailEvent());

        rig.Queue.DisableKicks();
        Assert.Equal(0, rig.Driver.UsedFlags);
        Assert.Equal(2, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void Kick_calls_on_a_queue_that_failed_to_start_do_nothing()
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, 8);
        ram.Protect(driver.UsedIova, 8, readOnly: false);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 8) { EventIdx = true };
        Assert.NotNull(q.Start(driver.Rings, RingPosition.Split(0)));
        Assert.Null(Record.Exception(() =>
        {
            Assert.False(q.EnableKicksAndRecheck());
            q.DisableKicks();
            q.EventIdx = false;
            Assert.False(q.EnableKicksAndRecheck());
            q.DisableKicks();
        }));
    }
}
