using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>What the queue threads rely on through <see cref="IDeviceQueue"/>, for both layouts: positions, restart, adopt, and one interrupt decision per batch.</summary>
public sealed class DeviceQueueContractTests
{
    [Fact]
    public void FinishBatch_decides_once_per_batch_with_completions_on_both_layouts()
    {
        using var split = new QueueRig();
        using var packed = new PackedRig(eventIdx: false);
        foreach ((IDeviceQueue q, DescriptorChain chain, System.Action add) in BothLayouts(split, packed))
        {
            Assert.False(q.FinishBatch());
            add();
            Assert.True(q.TryPop(chain));
            Assert.False(q.FinishBatch());
            q.Complete(chain, 16);
            Assert.True(q.FinishBatch());
            Assert.False(q.FinishBatch());
        }
    }

    [Fact]
    public void Restart_keeps_the_position_and_the_completions_not_yet_decided_on()
    {
        using var split = new QueueRig();
        using var packed = new PackedRig(eventIdx: false);
        foreach ((IDeviceQueue q, DescriptorChain chain, System.Action add) in BothLayouts(split, packed))
        {
            add();
            Assert.True(q.TryPop(chain));
            q.Complete(chain, 16);
            q.FlushUsed();
            RingPosition before = q.Position;
            Assert.Null(q.Restart());
            Assert.Equal(before, q.Position);
            Assert.True(q.FinishBatch());
        }
    }

    /// <summary>Each rig's queue, a chain slot, and a step that makes one writable chain available.</summary>
    private static (IDeviceQueue Queue, DescriptorChain Chain, System.Action AddOne)[] BothLayouts(QueueRig split, PackedRig packed) =>
    [
        (split.Queue, split.Chain, () => { split.Driver.AddChain(new Buf(split.Buffer(16), 16, true)); split.Driver.Publish(); }),
        (packed.Queue, packed.Chain, () => { packed.Driver.AddChain(packed.W()); packed.Driver.Publish(); }),
    ];

    [Fact]
    public void Positions_carry_wrap_counters_only_on_packed_rings()
    {
        using var split = new QueueRig();
        using var packed = new PackedRig();
        Assert.Equal(RingPosition.Split(0), split.Queue.Position);
        Assert.Equal(RingPosition.FreshPacked, packed.Queue.Position);
    }

    [Fact]
    public void Adopt_continues_a_split_ring_after_its_last_used_entry_and_refuses_a_packed_one()
    {
        using var split = new QueueRig();
        for (int i = 0; i < 3; i++)
        {
            split.Driver.AddChain(new Buf(split.Buffer(16), 16, true));
        }

        split.Driver.Publish();
        Assert.True(split.Queue.TryPop(split.Chain));
        split.Queue.Complete(split.Chain, 1);
        split.Queue.FlushUsed();

        var adopted = new SplitQueue<FakeGuestMemory>(split.Ram.Memory, split.Driver.Size);
        Assert.Null(adopted.Adopt(split.Driver.Rings));
        Assert.Equal(RingPosition.Split(1, 1), adopted.Position);

        using var packed = new PackedRig();
        var refused = new PackedQueue<FakeGuestMemory>(packed.Ram.Memory, packed.Driver.Size);
        Assert.False(string.IsNullOrEmpty(refused.Adopt(packed.Driver.Rings)));
    }
}
