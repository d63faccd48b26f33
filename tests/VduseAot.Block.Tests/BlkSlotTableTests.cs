using System;
using VduseAot.Testing;
using Xunit;
using static VduseAot.Testing.BlkCodes;

namespace VduseAot.Block.Tests;

/// <summary>Request slots made ahead (a takeover's queue thread makes them before it has the device) serve like the queue's own.</summary>
public sealed class BlkSlotTableTests
{
    [Fact]
    public void A_table_for_the_rings_size_is_the_queues_and_serves_requests()
    {
        var table = new BlkSlotTable(64);
        Assert.Equal(64, table.Slots.Length);
        Assert.Equal(BlkLimits.SlotSegments(64), table.MaxSegments);
        using var rig = new BlkRig(size: 64, slots: table);
        var finisher = (IRequestFinisher)rig.Queue;
        Assert.Same(table.Slots[0], finisher.Slot(0));
        Assert.Same(table.Slots[63], finisher.Slot(63));
        Assert.Equal(table.MaxSegments, finisher.MaxSegments);
        WriteThenReadBack(rig);
    }

    [Fact]
    public void A_table_for_another_ring_size_is_replaced_by_one_of_the_rings_size()
    {
        var table = new BlkSlotTable(256);
        using var rig = new BlkRig(size: 64, slots: table);
        var finisher = (IRequestFinisher)rig.Queue;
        Assert.Equal(64, finisher.SlotCount);
        Assert.NotSame(table.Slots[0], finisher.Slot(0));
        Assert.Equal(BlkLimits.SlotSegments(64), finisher.MaxSegments);
        WriteThenReadBack(rig);
    }

    private static void WriteThenReadBack(BlkRig rig)
    {
        const uint Bytes = 8192;
        ulong wdata = rig.Buffer(Bytes, 4096);
        rig.Fill(wdata, (int)Bytes, 7);
        BlkRequestLayout w = rig.Builder.Add(OUT, 8, Bytes, 2, wdata);
        rig.RunOne(w);
        Assert.Equal(OK, rig.Builder.Status(w));

        ulong rdata = rig.Buffer(Bytes, 4096);
        BlkRequestLayout r = rig.Builder.Add(IN, 8, Bytes, 3, rdata);
        rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.True(rig.Ram.Span(rdata, (int)Bytes).SequenceEqual(rig.Ram.Span(wdata, (int)Bytes)));
    }
}
