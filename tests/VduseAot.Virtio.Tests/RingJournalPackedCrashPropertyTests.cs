using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// Random packed-ring traffic (chains of 1 to 5 slots, indirect ones, out-of-order completions whose
/// used descriptors overwrite chains in flight, wrap crossings) with the device killed over and over:
/// at operation boundaries, around a completion's flags store, and between a pop's record and its
/// position. After each crash exactly the chains popped and not completed come back, in pop order.
/// </summary>
public sealed class RingJournalPackedCrashPropertyTests
{
    public static TheoryData<int, int, bool> Cases() => CrashCases.Seeds(restarts: false, 5, 8, 16, 256);

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
        using var rig = new PackedJournalRig((ushort)size, (ushort)rng.Next(size), rng.Next(2) == 0);
        var model = new CrashModel();                 // inflight: popped, not completed
        var held = new List<DescriptorChain>();       // popped in this incarnation (or re-popped), not completed
        var free = new Stack<DescriptorChain>(rig.Chains);
        int steps = size == 256 ? 3000 : 6000;

        void Deliver()
        {
            model.Delivered += rig.TakeUsed().Count;
        }

        void CrashAndCheck((ushort Index, bool Wrap) expectUsed)
        {
            RingPosition before = rig.Queue.Position;
            Assert.Null(rig.Crash());
            foreach (DescriptorChain c in held)
            {
                free.Push(c);
            }

            held.Clear();
            model.Resumed(rig.Queue);
            Assert.Equal(before with { UsedIndex = expectUsed.Index, UsedWrap = expectUsed.Wrap }, rig.Queue.Position);
        }

        for (int step = 0; step < steps; step++)
        {
            int op = rng.Next(100);
            if (op < 25)
            {
                for (int k = rng.Next(1, 4); k > 0 && rig.Driver.Outstanding < size; k--)
                {
                    bool indirect = rng.Next(5) == 0;
                    int extra = rng.Next(3), writable = rng.Next(1, 3);
                    if (rig.Driver.FreeDescriptors < (indirect ? 1 : 1 + extra + writable))
                    {
                        break;
                    }

                    uint[] lens = Enumerable.Range(0, writable).Select(_ => (uint)rng.Next(1, 257)).ToArray();
                    model.Fresh.AddLast(rig.Add(indirect, extra, lens).Id);
                    model.Added++;
                }

                if (rng.Next(3) != 0)
                {
                    rig.Driver.Publish();
                }
            }
            else if (op < 45)
            {
                for (int k = rng.Next(1, size + 1); k > 0 && free.Count > 0; k--)
                {
                    DescriptorChain c = free.Peek();
                    if (!rig.Queue.TryPop(c))
                    {
                        // Nothing may be stuck: neither a recovered chain nor a published one.
                        Assert.Empty(model.Repop);
                        Assert.Equal(model.Fresh.Count, rig.Driver.Pending);
                        break;
                    }

                    free.Pop();
                    model.Popped(rig.Queue, c.Head);
                    Assert.Equal(rig.Driver.SlotsOf(c.Head), c.RingSlots);
                    Assert.Equal(rig.Outstanding[c.Head].Tag, RequestPool.Serve(c));
                    held.Add(c);
                }
            }
            else if (op < 65)
            {
                for (int k = rng.Next(0, held.Count + 1); k > 0; k--)
                {
                    int pick = rng.Next(held.Count);
                    DescriptorChain c = held[pick];
                    held.RemoveAt(pick);
                    rig.Queue.Complete(c, rig.Outstanding[c.Head].WritableLen);
                    model.Inflight.Remove(c.Head);
                    free.Push(c);
                }

                rig.Queue.FlushUsed();
            }
            else if (op < 83)
            {
                Deliver();
            }
            else if (op < 87)
            {
                CrashAndCheck((rig.Queue.NextUsedIndex, rig.Queue.UsedWrapCounter));
            }
            else if (op < 92 && held.Count > 0)
            {
                // Killed inside Complete: after the journal's begin record, before or after the flags store.
                DescriptorChain c = held[rng.Next(held.Count)];
                (ushort Index, bool Wrap) at = (rig.Queue.NextUsedIndex, rig.Queue.UsedWrapCounter);
                rig.Journal.BeginCompletePacked(c.Head, at.Index, at.Wrap);
                model.Windows++;
                if (rng.Next(2) == 0)
                {
                    CrashAndCheck(at);
                }
                else
                {
                    rig.WriteUsedDescriptor(c.Head, rig.Outstanding[c.Head].WritableLen);
                    model.Inflight.Remove(c.Head);
                    CrashAndCheck(rig.Advance(at.Index, at.Wrap, c.RingSlots));
                }
            }
            else if (op < 95 && model.Repop.Count == 0 && model.Fresh.Count > rig.Driver.Pending)
            {
                // Killed inside a pop: its record was written, the position that makes it count was not.
                ulong before = rig.Region.AvailWord;
                (ushort Index, bool Wrap) back = (rig.Queue.LastAvailIndex, rig.Queue.AvailWrapCounter);
                DescriptorChain c = free.Peek();
                Assert.True(rig.Queue.TryPop(c));
                Assert.Equal(model.Fresh.First!.Value, c.Head);
                rig.Region.AvailWord = before;
                (ushort Index, bool Wrap) used = (rig.Queue.NextUsedIndex, rig.Queue.UsedWrapCounter);
                Assert.Null(rig.Crash());
                model.Windows++;
                foreach (DescriptorChain h in held)
                {
                    free.Push(h);
                }

                held.Clear();
                model.Resumed(rig.Queue);
                Assert.Equal(new RingPosition(back.Index, back.Wrap, used.Index, used.Wrap), rig.Queue.Position);
            }
            else if (restarts && model.Inflight.Count == 0 && model.Repop.Count == 0)
            {
                Assert.Null(rig.Queue.Restart());
                model.RestartsDone++;
            }

            Assert.Null(rig.Queue.BrokenReason);
        }

        // Drain: publish the rest; take what was completed, pop and complete what is left, until nothing is outstanding.
        rig.Driver.Publish();
        for (Deliver(); rig.Driver.Outstanding > 0; Deliver())
        {
            while (free.Count > 0 && rig.Queue.TryPop(free.Peek()))
            {
                DescriptorChain c = free.Pop();
                RequestPool.Serve(c);
                held.Add(c);
            }

            Assert.True(held.Count > 0, "the driver has " + rig.Driver.Outstanding + " requests outstanding that the device does not hold");
            foreach (DescriptorChain c in held)
            {
                rig.Queue.Complete(c, rig.Outstanding[c.Head].WritableLen);
                free.Push(c);
            }

            held.Clear();
        }

        Assert.Empty(rig.Outstanding);
        Assert.Equal(size, rig.Driver.FreeDescriptors);
        Assert.Equal(rig.Driver.NextAvail, rig.Queue.LastAvailIndex);
        Assert.Equal(rig.Driver.AvailWrap, rig.Queue.AvailWrapCounter);
        Assert.Equal(rig.Driver.NextUsed, rig.Queue.NextUsedIndex);
        Assert.Equal(rig.Driver.UsedWrap, rig.Queue.UsedWrapCounter);
        model.CheckEnd(restarts);

        // Nothing left: a last successor has nothing to take over.
        Assert.Null(rig.Crash());
        Assert.Equal(0, rig.Queue.RecoveredPending);
        Assert.False(rig.Queue.TryPop(rig.Chains[0]));
    }
}
