using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// A split ring's journal across a SIGKILL: the successor is a new SplitQueue and RingJournal over the
/// same guest memory and journal bytes; every chain must be returned exactly once overall.
/// </summary>
public sealed class RingJournalSplitTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(65533)] // free-running 16-bit indices wrap while chains are in flight
    public void Chains_popped_and_not_completed_are_popped_again_first_in_pop_order_with_the_same_segments(int start)
    {
        using var rig = new SplitJournalRig(32, (ushort)start);
        for (int i = 0; i < 5; i++)
        {
            rig.Add(i % 3, 16 + (uint)i, 200);
        }

        rig.Driver.Publish();
        var popped = new List<(ushort Head, List<(nint, uint, bool)> Segs)>();
        for (int i = 0; i < 5; i++)
        {
            DescriptorChain c = rig.Pop();
            popped.Add((c.Head, RequestPool.Segments(c)));
        }

        Assert.Null(rig.Crash());
        Assert.Equal(5, rig.Queue.RecoveredPending);
        Assert.Equal((ushort)(start + 5), rig.Queue.LastAvailIndex);
        Assert.Equal((ushort)start, rig.Queue.NextUsedIndex);

        // The driver keeps going while the device is away.
        var later = new List<ushort> { rig.Add(0, 8).Id, rig.Add(2, 100, 100, 100).Id, rig.Add(1, 1).Id };
        rig.Driver.Publish();

        for (int i = 0; i < 5; i++)
        {
            DescriptorChain c = rig.Pop();
            Assert.Equal(popped[i].Head, c.Head);
            Assert.Equal(popped[i].Segs, RequestPool.Segments(c));
            Assert.Equal(4 - i, rig.Queue.RecoveredPending);
            rig.Queue.AddUsed(c.Head, (uint)c.WritableBytes);
        }

        foreach (ushort head in later)
        {
            DescriptorChain c = rig.Pop();
            Assert.Equal(head, c.Head);
            rig.Queue.AddUsed(c.Head, (uint)c.WritableBytes);
        }

        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(popped.Select(p => p.Head).Concat(later), rig.TakeUsed());
        Assert.Empty(rig.Outstanding);
        Assert.Equal((ushort)(start + 8), rig.GuestUsedIdx);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65533)]
    public void Only_unpublished_and_uncompleted_chains_are_popped_again_and_the_used_index_continues(int start)
    {
        using var rig = new SplitJournalRig(32, (ushort)start);
        for (int i = 0; i < 6; i++)
        {
            rig.Add(1, 32);
        }

        rig.Driver.Publish();
        var h = new ushort[6];
        for (int i = 0; i < 6; i++)
        {
            h[i] = rig.Pop().Head;
        }

        // h1, h3 completed and published; h4, h0 completed only (used entries written, idx not moved); h2, h5 held.
        rig.Queue.AddUsed(h[1], 32);
        rig.Queue.AddUsed(h[3], 32);
        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(new[] { h[1], h[3] }, rig.TakeUsed());
        rig.Queue.AddUsed(h[4], 32);
        rig.Queue.AddUsed(h[0], 32);

        Assert.Null(rig.Crash());
        Assert.Equal(4, rig.Queue.RecoveredPending);
        Assert.Equal((ushort)(start + 2), rig.Queue.NextUsedIndex);
        Assert.Equal((ushort)(start + 6), rig.Queue.LastAvailIndex);
        var again = new List<ushort>();
        for (int i = 0; i < 4; i++)
        {
            again.Add(rig.Pop().Head);
        }

        Assert.Equal(new[] { h[0], h[2], h[4], h[5] }, again);
        Assert.False(rig.Queue.TryPop(rig.Chain));
        foreach (ushort head in again.AsEnumerable().Reverse())
        {
            rig.Queue.AddUsed(head, 32);
        }

        rig.Queue.PublishUsed();
        Assert.Equal(again.AsEnumerable().Reverse(), rig.TakeUsed());
        Assert.Empty(rig.Outstanding);
        Assert.Equal((ushort)(start + 6), rig.GuestUsedIdx);
    }

    [Fact]
    public void A_crash_after_BeginPublishSplit_but_before_the_used_idx_store_pops_the_batch_again()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 4);
        rig.Queue.AddUsed(h[2], 32);
        rig.Queue.AddUsed(h[0], 32);
        rig.Queue.AddUsed(h[3], 32);
        rig.Journal.BeginPublishSplit(rig.GuestUsedIdx, 3); // PublishUsed's first step; the idx store never happens

        Assert.Null(rig.Crash());
        Assert.Empty(rig.TakeUsed());
        Assert.Equal(4, rig.Queue.RecoveredPending);
        Assert.Equal(0, rig.Queue.NextUsedIndex);
        Assert.Equal(h, PopAll(rig));
        CompleteAndCheck(rig, h);
    }

    [Fact]
    public void A_crash_after_the_used_idx_store_but_before_EndPublishSplit_keeps_the_batch_returned()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 4);
        rig.Queue.AddUsed(h[2], 32);
        rig.Queue.AddUsed(h[0], 32);
        rig.Queue.AddUsed(h[3], 32);
        ushort from = rig.GuestUsedIdx;
        rig.Journal.BeginPublishSplit(from, 3);
        rig.GuestUsedIdx = (ushort)(from + 3); // the store landed; EndPublishSplit never ran

        // The driver sees the batch at once and may even reuse those heads before the successor starts.
        Assert.Equal(new[] { h[2], h[0], h[3] }, rig.TakeUsed());
        ushort reused = rig.Add(0, 16).Id;
        rig.Driver.Publish();

        Assert.Null(rig.Crash());
        Assert.Equal(1, rig.Queue.RecoveredPending);
        Assert.Equal(3, rig.Queue.NextUsedIndex);
        Assert.Equal(new[] { h[1], reused }, PopAll(rig));
        CompleteAndCheck(rig, [h[1], reused]);
    }

    [Fact]
    public void A_crash_inside_EndPublishSplit_after_the_records_were_cleared_keeps_the_batch_returned()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 3);
        rig.Queue.AddUsed(h[1], 32);
        Assert.True(rig.Queue.PublishUsed());

        // EndPublishSplit cleared the record but its final store (pending off) did not land: put the
        // pending marker (a batch of 1 from used index 0) back as the journal had it.
        rig.Region.UsedWord = JournalWord.UsedPending(0, false, 1);
        Assert.Null(rig.Crash());
        Assert.Equal(2, rig.Queue.RecoveredPending);
        Assert.Equal(1, rig.Queue.NextUsedIndex);
        Assert.Equal(new[] { h[1] }, rig.TakeUsed());
        Assert.Equal(new[] { h[0], h[2] }, PopAll(rig));
        CompleteAndCheck(rig, [h[0], h[2]]);
    }

    [Fact]
    public void A_crash_between_a_pops_record_and_its_position_pops_that_chain_again_from_the_avail_ring_once()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 2);
        rig.Add(0, 64);
        rig.Driver.Publish();
        ulong before = rig.Region.AvailWord;
        ushort torn = rig.Pop().Head;
        rig.Region.AvailWord = before; // the record was written, the release of the position was not

        Assert.Null(rig.Crash());
        Assert.Equal(2, rig.Queue.RecoveredPending);
        Assert.Equal(2, rig.Queue.LastAvailIndex);
        Assert.Equal(new[] { h[0], h[1], torn }, PopAll(rig));
        Assert.Equal(0, rig.Queue.RecoveredPending);
        CompleteAndCheck(rig, [h[0], h[1], torn]);
    }

    [Fact]
    public void A_used_idx_matching_neither_end_of_the_pending_batch_breaks_the_ring_without_throwing()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 3);
        rig.Queue.AddUsed(h[0], 32);
        rig.Queue.AddUsed(h[1], 32);
        rig.Journal.BeginPublishSplit(rig.GuestUsedIdx, 2);
        rig.GuestUsedIdx = 1; // neither 0 nor 2: this used ring is not the one the journal describes

        string? error = rig.Crash();
        Assert.NotNull(error);
        Assert.NotNull(rig.Queue.BrokenReason);
        rig.Add(0, 8);
        rig.Driver.Publish();
        Assert.False(rig.Queue.TryPop(rig.Chain));
        Assert.Equal(0, rig.Queue.RecoveredPending);
    }

    [Fact]
    public void A_used_idx_that_moved_with_no_pending_batch_breaks_the_ring_without_throwing()
    {
        using var rig = new SplitJournalRig(16);
        Fill(rig, 2);
        rig.GuestUsedIdx = 5;
        Assert.NotNull(rig.Crash());
        Assert.NotNull(rig.Queue.BrokenReason);
        Assert.False(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void Successive_crashes_keep_the_original_pop_order_of_chains_never_completed()
    {
        using var rig = new SplitJournalRig(16);
        var h = Fill(rig, 3);
        Assert.Null(rig.Crash());
        Assert.Equal(h[0], rig.Pop().Head); // re-popped once, then the successor dies too
        ushort fresh = rig.Add(0, 8).Id;
        rig.Driver.Publish();
        Assert.Null(rig.Crash());
        Assert.Equal(3, rig.Queue.RecoveredPending);
        Assert.Equal(h[0], rig.Pop().Head);
        Assert.Equal(h[1], rig.Pop().Head);
        Assert.Null(rig.Crash()); // twice more, with nothing done in between
        Assert.Null(rig.Crash());
        Assert.Equal(new[] { h[0], h[1], h[2], fresh }, PopAll(rig));
        CompleteAndCheck(rig, [h[2], fresh, h[0], h[1]]);
    }

    [Fact]
    public void Start_after_a_clean_run_leaves_nothing_for_a_successor_that_resumes_at_once()
    {
        using var rig = new SplitJournalRig(16);
        CompleteAndCheck(rig, Fill(rig, 3));
        Assert.Null(rig.Queue.Restart());
        Assert.Null(rig.Crash());
        Assert.Equal(0, rig.Queue.RecoveredPending);
        Assert.Equal(3, rig.Queue.LastAvailIndex);
        Assert.Equal(3, rig.Queue.NextUsedIndex);
        Assert.False(rig.Queue.TryPop(rig.Chain));
    }

    [Fact]
    public void A_chain_popped_after_Start_then_a_crash_then_another_crash_is_not_lost()
    {
        // Start (a driver restart of the ring) after a run that popped chains, a crash before the first
        // pop, a pop by the successor, and a second crash: that chain must come back.
        // Fails while RingJournal.Reset stores the avail word without the pop count: the successor then
        // counts pops from 0 again, below the BaseSeq that Reset recorded, so its records look stale.
        using var rig = new SplitJournalRig(16);
        CompleteAndCheck(rig, Fill(rig, 3));
        Assert.Null(rig.Queue.Restart());
        Assert.Null(rig.Crash());
        Assert.Equal(0, rig.Queue.RecoveredPending);
        var h = Fill(rig, 1);
        Assert.Null(rig.Crash());
        Assert.Equal(1, rig.Queue.RecoveredPending);
        Assert.Equal(h, PopAll(rig));
        CompleteAndCheck(rig, h);
    }

    /// <summary>Adds <paramref name="n"/> requests, publishes and pops them all; returns the heads in pop order.</summary>
    internal static ushort[] Fill(SplitJournalRig rig, int n)
    {
        for (int i = 0; i < n; i++)
        {
            rig.Add(i % 2, 32);
        }

        rig.Driver.Publish();
        var heads = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            heads[i] = rig.Pop().Head;
        }

        return heads;
    }

    /// <summary>Pops (and serves) until nothing is left; returns the heads.</summary>
    private static List<ushort> PopAll(SplitJournalRig rig)
    {
        var heads = new List<ushort>();
        while (rig.Queue.RecoveredPending > 0 || rig.Queue.HasAvailable())
        {
            heads.Add(rig.Pop().Head);
        }

        return heads;
    }

    /// <summary>Completes <paramref name="heads"/> in that order, publishes, and checks the driver gets exactly them and has nothing left.</summary>
    private static void CompleteAndCheck(SplitJournalRig rig, ushort[] heads)
    {
        foreach (ushort head in heads)
        {
            rig.Queue.AddUsed(head, rig.Outstanding[head].WritableLen);
        }

        Assert.True(rig.Queue.PublishUsed());
        Assert.Equal(heads, rig.TakeUsed());
        Assert.Empty(rig.Outstanding);
        Assert.Equal(0, rig.Driver.Outstanding);
    }
}
