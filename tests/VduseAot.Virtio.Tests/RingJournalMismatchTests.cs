using System;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// A state file written for one ring and resumed by another (the driver renegotiated the layout or
/// size, or the file belongs to another device): Resume must say so and not throw, and the attempt
/// must not spoil the record for the ring it does belong to.
/// </summary>
public sealed unsafe class RingJournalMismatchTests
{
    [Fact]
    public void A_split_16_journal_resumed_by_a_packed_ring_or_a_split_ring_of_32_is_refused()
    {
        using var ram = new GuestRam(4UL << 20);
        using var region = new JournalRegion(32); // big enough for every ring below
        var split16 = new SplitDriver(ram, 16);
        var chain = new DescriptorChain(64);
        var first = split16.CreateQueue(journal: new RingJournal(region.Ptr, 16));
        ulong buf = ram.Alloc(64, 16);
        ushort head = split16.AddChain(new Buf(buf, 16, false), new Buf(buf + 16, 16, true));
        split16.Publish();
        Assert.True(first.TryPop(chain));

        var packed = new PackedDriver(ram, 16);
        var asPacked = new PackedQueue<FakeGuestMemory>(ram.Memory, 16) { Journal = new RingJournal(region.Ptr, 16) };
        Assert.False(string.IsNullOrEmpty(asPacked.Resume(packed.Rings)));
        Assert.Equal(0, asPacked.RecoveredPending);
        Assert.False(asPacked.TryPop(chain));

        var split32 = new SplitDriver(ram, 32);
        var asSplit32 = new SplitQueue<FakeGuestMemory>(ram.Memory, 32) { Journal = new RingJournal(region.Ptr, 32) };
        Assert.False(string.IsNullOrEmpty(asSplit32.Resume(split32.Rings)));
        Assert.Equal(0, asSplit32.RecoveredPending);
        Assert.False(asSplit32.TryPop(chain));

        // The refused attempts left the record alone: the right ring still gets its chain back.
        var successor = new SplitQueue<FakeGuestMemory>(ram.Memory, 16) { Journal = new RingJournal(region.Ptr, 16) };
        Assert.Null(successor.Resume(split16.Rings));
        Assert.Equal(1, successor.RecoveredPending);
        Assert.True(successor.TryPop(chain));
        Assert.Equal(head, chain.Head);
    }

    [Fact]
    public void A_packed_journal_resumed_by_a_split_ring_or_a_packed_ring_of_another_size_is_refused()
    {
        using var ram = new GuestRam(4UL << 20);
        using var region = new JournalRegion(16);
        var packed = new PackedDriver(ram, 16);
        var first = packed.CreateQueue(journal: new RingJournal(region.Ptr, 16));

        var split = new SplitDriver(ram, 16);
        var asSplit = new SplitQueue<FakeGuestMemory>(ram.Memory, 16) { Journal = new RingJournal(region.Ptr, 16) };
        Assert.False(string.IsNullOrEmpty(asSplit.Resume(split.Rings)));

        var packed8 = new PackedDriver(ram, 8);
        var asPacked8 = new PackedQueue<FakeGuestMemory>(ram.Memory, 8) { Journal = new RingJournal(region.Ptr, 8) };
        Assert.False(string.IsNullOrEmpty(asPacked8.Resume(packed8.Rings)));
        Assert.False(asPacked8.TryPop(new DescriptorChain(8)));
    }

    [Fact]
    public void A_packed_journal_older_than_the_ring_is_refused()
    {
        using var rig = new PackedJournalRig(16);
        rig.Add(false, 0, 512);
        rig.Add(false, 0, 512);
        rig.Driver.Publish();
        DescriptorChain a = rig.Pop(rig.Chains[0]);
        DescriptorChain b = rig.Pop(rig.Chains[1]);
        byte[] older = new Span<byte>(rig.Region.Ptr, rig.Region.Bytes).ToArray();

        // Completed and returned after the snapshot: the snapshot stands for a state file of another run.
        rig.Queue.Complete(a, 512);
        rig.Queue.Complete(b, 512);
        Assert.Equal(2, rig.TakeUsed().Count);
        older.CopyTo(new Span<byte>(rig.Region.Ptr, rig.Region.Bytes));
        Assert.Contains("another run", rig.Crash());
        Assert.False(rig.Queue.TryPop(rig.Chains[2]));
    }

    [Fact]
    public void A_journal_no_ring_ever_started_is_refused()
    {
        using var ram = new GuestRam(1UL << 20);
        using var region = new JournalRegion(16);
        var split = new SplitDriver(ram, 16);
        var q = new SplitQueue<FakeGuestMemory>(ram.Memory, 16) { Journal = new RingJournal(region.Ptr, 16) };
        Assert.False(string.IsNullOrEmpty(q.Resume(split.Rings)));
        Assert.False(q.TryPop(new DescriptorChain(8)));
    }
}
