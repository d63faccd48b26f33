using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// Random split-ring traffic with the device killed over and over: at operation boundaries, inside
/// PublishUsed before and after the used idx store, and between a pop's record and its position.
/// The model is what the journal promises: after each crash exactly the chains popped and not yet
/// published come back, in pop order, and the driver sees every request once with the right data.
/// </summary>
public sealed class RingJournalSplitCrashPropertyTests
{
    public static TheoryData<int, int, bool> Cases() => CrashCases.Seeds(restarts: false, 8, 16, 256);

    /// <summary>The same, with the driver restarting the ring (Restart: a fresh journal record) whenever it is idle.</summary>
    public static TheoryData<int, int, bool> CasesWithRestarts() => CrashCases.Seeds(restarts: true, 8, 16);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_request_completes_exactly_once_across_random_crashes(int size, int seed, bool restarts) => Run(size, seed, restarts);

    [Theory]
    [MemberData(nameof(CasesWithRestarts))]
    public void Every_request_completes_exactly_once_across_random_crashes_and_restarts(int size, int seed, bool restarts) => Run(size, seed, restarts);

    private static void Run(int size, int seed, bool restarts)
    {
        var rng = new Random((size * 7919) + seed + (restarts ? 100 : 0));
        using var rig = new SplitJournalRig((ushort)size, (ushort)rng.Next(0x10000));
        var model = new CrashModel();                 // inflight: popped, not published
        var held = new List<ushort>();                // popped in this incarnation (or re-popped), not completed
        var unpublished = new List<ushort>();         // completed, used idx not moved yet
        ushort published = rig.Driver.PushedAvail;    // avail idx the driver made visible
        int steps = size == 256 ? 3000 : 6000;

        void Deliver()
        {
            model.Delivered += rig.TakeUsed().Count;
        }

        void CrashAndCheck(ushort expectUsed)
        {
            ushort avail = rig.Queue.LastAvailIndex;
            Assert.Null(rig.Crash());
            held.Clear();
            unpublished.Clear();
            model.Resumed(rig.Queue);
            Assert.Equal(RingPosition.Split(avail, expectUsed), rig.Queue.Position);
            Assert.Equal(expectUsed, rig.GuestUsedIdx);
        }

        for (int step = 0; step < steps; step++)
        {
            int op = rng.Next(100);
            if (op < 25)
            {
                // Driver: add a few requests of 2 to 5 descriptors.
                for (int k = rng.Next(1, 4); k > 0; k--)
                {
                    int extra = rng.Next(3), writable = rng.Next(1, 3);
                    if (rig.Driver.FreeDescriptors < 1 + extra + writable)
                    {
                        break;
                    }

                    uint[] lens = Enumerable.Range(0, writable).Select(_ => (uint)rng.Next(1, 257)).ToArray();
                    model.Fresh.AddLast(rig.Add(extra, lens).Id);
                    model.Added++;
                }

                if (rng.Next(3) != 0)
                {
                    rig.Driver.Publish();
                    published = rig.Driver.PushedAvail;
                }
            }
            else if (op < 45)
            {
                for (int k = rng.Next(1, size + 1); k > 0; k--)
                {
                    if (!rig.Queue.TryPop(rig.Chain))
                    {
                        // Nothing may be stuck: neither a recovered chain nor a published one.
                        Assert.Empty(model.Repop);
                        Assert.Equal(published, rig.Queue.LastAvailIndex);
                        break;
                    }

                    ushort head = rig.Chain.Head;
                    model.Popped(rig.Queue, head);
                    Assert.Equal(rig.Outstanding[head].Tag, RequestPool.Serve(rig.Chain));
                    held.Add(head);
                }
            }
            else if (op < 62)
            {
                for (int k = rng.Next(0, held.Count + 1); k > 0; k--)
                {
                    int pick = rng.Next(held.Count);
                    ushort head = held[pick];
                    held.RemoveAt(pick);
                    rig.Queue.AddUsed(head, rig.Outstanding[head].WritableLen);
                    unpublished.Add(head);
                }
            }
            else if (op < 75)
            {
                Assert.Equal(unpublished.Count > 0, rig.Queue.PublishUsed());
                model.Inflight.RemoveAll(unpublished.Contains);
                unpublished.Clear();
            }
            else if (op < 85)
            {
                Deliver();
            }
            else if (op < 89)
            {
                CrashAndCheck(rig.GuestUsedIdx);
            }
            else if (op < 93 && unpublished.Count > 0)
            {
                // Killed inside PublishUsed: after the journal marked the batch pending, before or after the idx store.
                ushort from = rig.GuestUsedIdx;
                ushort count = (ushort)(rig.Queue.NextUsedIndex - from);
                Assert.Equal(unpublished.Count, count);
                rig.Journal.BeginPublishSplit(from, count);
                model.Windows++;
                if (rng.Next(2) == 0)
                {
                    CrashAndCheck(from);
                }
                else
                {
                    rig.GuestUsedIdx = (ushort)(from + count);
                    model.Inflight.RemoveAll(unpublished.Contains);
                    CrashAndCheck((ushort)(from + count));
                }
            }
            else if (op < 95 && model.Repop.Count == 0 && model.Fresh.Count > 0 && rig.Queue.HasAvailable())
            {
                // Killed inside a pop: its record was written, the position that makes it count was not.
                ulong before = rig.Region.AvailWord;
                Assert.True(rig.Queue.TryPop(rig.Chain));
                Assert.Equal(model.Fresh.First!.Value, rig.Chain.Head);
                rig.Region.AvailWord = before;
                ushort avail = (ushort)(rig.Queue.LastAvailIndex - 1);
                Assert.Null(rig.Crash());
                model.Windows++;
                held.Clear();
                unpublished.Clear();
                model.Resumed(rig.Queue);
                Assert.Equal(avail, rig.Queue.LastAvailIndex);
            }
            else if (restarts && model.Inflight.Count == 0 && model.Repop.Count == 0)
            {
                Assert.Null(rig.Queue.Restart());
                model.RestartsDone++;
            }

            Assert.Null(rig.Queue.BrokenReason);
        }

        // Drain: the driver publishes the rest; the device pops, completes and publishes until nothing is outstanding.
        rig.Driver.Publish();
        while (rig.TryDrainOnce(held))
        {
        }

        Deliver();
        Assert.Empty(rig.Outstanding);
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(size, rig.Driver.FreeDescriptors);
        Assert.Equal(rig.Driver.PushedAvail, rig.Queue.LastAvailIndex);
        Assert.Equal(rig.Driver.PushedAvail, rig.GuestUsedIdx);
        model.CheckEnd(restarts);

        // Nothing left: a last successor has nothing to take over.
        Assert.Null(rig.Crash());
        Assert.Equal(0, rig.Queue.RecoveredPending);
        Assert.False(rig.Queue.TryPop(rig.Chain));
    }
}

/// <summary>Drain helper kept next to its only user.</summary>
internal static class SplitJournalRigDrain
{
    /// <summary>Pops everything (recovered and new), completes it and everything <paramref name="held"/>, publishes. False when there was nothing.</summary>
    public static bool TryDrainOnce(this SplitJournalRig rig, List<ushort> held)
    {
        while (rig.Queue.TryPop(rig.Chain))
        {
            RequestPool.Serve(rig.Chain);
            held.Add(rig.Chain.Head);
        }

        foreach (ushort head in held)
        {
            rig.Queue.AddUsed(head, rig.Outstanding[head].WritableLen);
        }

        held.Clear();
        return rig.Queue.PublishUsed();
    }
}
