using System.Linq;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

public sealed class PackedIndirectTests
{
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort I = VirtioConstants.VRING_DESC_F_INDIRECT;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public unsafe void A_valid_indirect_table_pops_its_entries_in_order_in_one_ring_slot(int entries)
    {
        using var rig = new PackedRig(size: 8);
        Buf[] bufs = Enumerable.Range(0, entries).Select(i => i < entries / 2 ? rig.R(10, (uint)i * 16) : rig.W(10, (uint)i * 16)).ToArray();
        ushort id = rig.Driver.AddIndirectChain(bufs);
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(1, c.RingSlots);
        Assert.Equal(1 + entries, c.DescriptorCount);
        Assert.Equal(entries / 2, c.ReadableCount);
        Assert.Equal(entries - (entries / 2), c.WritableCount);
        for (int i = 0; i < entries; i++)
        {
            IoSegment s = i < entries / 2 ? c.Readable[i] : c.Writable[i - (entries / 2)];
            Assert.True(rig.Ram.Host(bufs[i].Iova) == s.Host);
            Assert.Equal(10u, s.Length);
        }

        Assert.Equal(1, rig.Queue.LastAvailIndex);
        rig.Queue.Complete(c, 10);
        Assert.Equal([new UsedEntry(id, 10)], rig.Driver.TakeUsed());
    }

    [Fact]
    public void NEXT_inside_a_packed_indirect_table_is_ignored_and_entries_are_read_in_order()
    {
        using var rig = new PackedRig();
        ulong table = rig.Ram.Alloc(48, 16);
        rig.Driver.WriteTableEntry(table, 0, rig.Data, 4, N);
        rig.Driver.WriteTableEntry(table, 1, rig.Data + 16, 4, 0);
        rig.Driver.WriteTableEntry(table, 2, rig.Data + 32768, 4, W | N);
        ushort id = rig.Driver.AddRaw(new RawDesc(table, 48, I));
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(id, c.Head);
        Assert.Equal(2, c.ReadableCount);
        Assert.Equal(1, c.WritableCount);
    }

    [Fact]
    public void Indirect_chains_wrap_the_ring_many_times()
    {
        using var rig = new PackedRig(size: 8);
        for (int i = 0; i < 3000; i++)
        {
            ushort a = rig.Driver.AddIndirectChain(rig.R(), rig.R(), rig.W());
            ushort b = rig.Driver.AddChain(rig.R(), rig.W());
            Assert.Equal([new UsedEntry(a, a + 1000u), new UsedEntry(b, b + 1000u)], rig.RoundTrip());
        }

        Assert.Null(rig.Queue.BrokenReason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(15)]
    [InlineData(16 * 9)]    // more entries than the ring has descriptors
    [InlineData(16 * 4096)]
    public void A_bad_table_length_pops_with_BadIndirectTable(int length)
    {
        using var rig = new PackedRig(size: 8);
        ulong table = rig.Ram.Alloc(16 * 9, 16);
        for (int i = 0; i < 9; i++)
        {
            rig.Driver.WriteTableEntry(table, i, rig.Data, 16, 0);
        }

        ushort id = rig.Driver.AddRaw(new RawDesc(table, (uint)length, I));
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.BadIndirectTable, c.Error);
        Assert.Equal(id, c.Head);
        rig.Queue.Complete(c, 0);
        Assert.Single(rig.Driver.TakeUsed());
    }

    [Fact]
    public void A_table_of_exactly_Size_entries_is_accepted()
    {
        using var rig = new PackedRig(size: 8);
        ushort id = rig.Driver.AddIndirectChain(Enumerable.Range(0, 8).Select(i => rig.R(4, (uint)i * 4)).ToArray());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(id, c.Head);
    }

    [Fact]
    public void An_indirect_entry_inside_a_table_pops_with_NestedIndirect()
    {
        using var rig = new PackedRig();
        ulong inner = rig.Ram.Alloc(16, 16);
        rig.Driver.WriteTableEntry(inner, 0, rig.Data, 16, 0);
        ulong table = rig.Ram.Alloc(32, 16);
        rig.Driver.WriteTableEntry(table, 0, rig.Data, 16, 0);
        rig.Driver.WriteTableEntry(table, 1, inner, 16, I);
        ushort id = rig.Driver.AddRaw(new RawDesc(table, 32, I));
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.NestedIndirect, c.Error);
        Assert.Equal(id, c.Head);
    }

    [Fact]
    public void INDIRECT_with_NEXT_pops_with_BadIndirectTable_and_consumes_the_whole_chain()
    {
        using var rig = new PackedRig();
        ushort id = rig.Driver.AddIndirectChain(rig.R());
        rig.Driver.Publish();
        rig.Queue.Complete(rig.Pop(), 0);
        rig.Driver.TakeUsed();
        ulong table = rig.Driver.TableOf(id);
        ushort bad = rig.Driver.AddRaw(new RawDesc(table, 16, I | N), new RawDesc(rig.Data + 32768, 1, W));
        ushort after = rig.Driver.AddChain(rig.R());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop(rig.Chains[0]);
        Assert.Equal(ChainError.BadIndirectTable, c.Error);
        Assert.Equal(bad, c.Head);
        Assert.Equal(2, c.RingSlots);
        DescriptorChain c2 = rig.Pop(rig.Chains[1]);
        Assert.Equal((after, ChainError.None), (c2.Head, c2.Error));
        rig.Queue.Complete(c, 0);
        rig.Queue.Complete(c2, 0);
        Assert.Equal(2, rig.Driver.TakeUsed().Count);
        Assert.Equal(8, rig.Driver.FreeDescriptors);
    }

    [Fact]
    public void INDIRECT_without_the_feature_pops_with_IndirectNotNegotiated()
    {
        using var rig = new PackedRig(indirect: false);
        ushort id = rig.Driver.AddIndirectChain(rig.R(), rig.W());
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.IndirectNotNegotiated, c.Error);
        Assert.Equal(id, c.Head);
        rig.Queue.Complete(c, 0);
        Assert.Single(rig.Driver.TakeUsed());
    }

    [Fact]
    public void An_unmapped_table_pops_with_UnmappedAddress()
    {
        using var rig = new PackedRig();
        ulong table = rig.Ram.Alloc(32, 16);
        rig.Ram.Protect(table + 16, 16, readOnly: false);
        rig.Driver.WriteTableEntry(table, 0, rig.Data, 16, 0);
        rig.Driver.AddRaw(new RawDesc(table, 32, I));
        rig.Driver.AddRaw(new RawDesc(0xdead_0000, 32, I));
        rig.Driver.Publish();
        Assert.Equal(ChainError.UnmappedAddress, rig.Pop(rig.Chains[0]).Error);
        Assert.Equal(ChainError.UnmappedAddress, rig.Pop(rig.Chains[1]).Error);
    }

    [Fact]
    public void Table_entries_are_checked_like_ring_descriptors()
    {
        using var rig = new PackedRig();
        ulong t1 = rig.Ram.Alloc(32, 16);
        rig.Driver.WriteTableEntry(t1, 0, rig.Data, 16, 0);
        rig.Driver.WriteTableEntry(t1, 1, rig.Data, 0, W);
        ulong t2 = rig.Ram.Alloc(32, 16);
        rig.Driver.WriteTableEntry(t2, 0, rig.Data + 32768, 16, W);
        rig.Driver.WriteTableEntry(t2, 1, rig.Data, 16, 0);
        ulong t3 = rig.Ram.Alloc(16, 16);
        rig.Driver.WriteTableEntry(t3, 0, rig.Data, 16, 0);
        rig.Driver.AddRaw(new RawDesc(t1, 32, I));
        rig.Driver.AddRaw(new RawDesc(t2, 32, I));
        rig.Driver.AddRaw(new RawDesc(rig.Data + 32768, 16, W | N), new RawDesc(t3, 16, I)); // an indirect descriptor at the end of a NEXT list
        rig.Driver.Publish();
        Assert.Equal(ChainError.ZeroLength, rig.Pop(rig.Chains[0]).Error);
        Assert.Equal(ChainError.ReadableAfterWritable, rig.Pop(rig.Chains[1]).Error);

        // Spec 2.8.7: in a packed ring an indirect descriptor may not follow NEXT-linked descriptors.
        Assert.Equal(ChainError.BadIndirectTable, rig.Pop(rig.Chains[2]).Error);
    }

    [Fact]
    public void The_WRITE_flag_on_the_indirect_descriptor_itself_is_ignored()
    {
        using var rig = new PackedRig();
        ulong table = rig.Ram.Alloc(16, 16);
        rig.Driver.WriteTableEntry(table, 0, rig.Data, 16, 0);
        rig.Driver.AddRaw(new RawDesc(table, 16, I | W));
        rig.Driver.Publish();
        DescriptorChain c = rig.Pop();
        Assert.Equal(ChainError.None, c.Error);
        Assert.Equal(1, c.ReadableCount);
    }
}
