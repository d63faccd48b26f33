using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// Random traffic against a packed ring: thousands of valid and malformed chains, popped in random batches
/// and completed in random order. The device must never throw, pop or complete a chain twice, or lose one;
/// every id and length the driver reads back must be the one the device completed.
/// </summary>
public sealed class PackedQueuePropertyTests
{
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort I = VirtioConstants.VRING_DESC_F_INDIRECT;

    private readonly record struct Expect(ushort Id, ChainError Error, int Slots);

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (int size in new[] { 1, 2, 3, 8, 64, 256 })
        {
            for (int seed = 1; seed <= 3; seed++)
            {
                data.Add(size, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_valid_and_invalid_chains_in_random_completion_order(int size, int seed)
    {
        var rng = new Random((size * 1000) + seed);
        using var rig = new PackedRig(size: (ushort)size, ramBytes: 8UL << 20);
        PackedDriver d = rig.Driver;
        PackedQueue<FakeGuestMemory> q = rig.Queue;

        // Constant malformed tables, shared by every chain that uses them.
        ulong nested = rig.Ram.Alloc(16, 16);
        d.WriteTableEntry(nested, 0, nested, 16, I);
        ulong plain = rig.Ram.Alloc(16UL * (ulong)(size + 1), 16);
        for (int i = 0; i <= size; i++)
        {
            d.WriteTableEntry(plain, i, rig.Data, 16, 0);
        }

        var expected = new Queue<Expect>();
        var pool = new Stack<DescriptorChain>(rig.Chains);
        var held = new List<DescriptorChain>();
        var heldIds = new HashSet<ushort>();
        var lengthOf = new Dictionary<ushort, uint>();
        long added = 0;
        long seen = 0;
        int steps = size == 256 ? 1500 : 4000;

        for (int step = 0; step < steps; step++)
        {
            int adds = rng.Next(0, 4);
            for (int a = 0; a < adds && d.FreeDescriptors > 0 && d.Outstanding < size; a++)
            {
                expected.Enqueue(AddRandom(rig, rng, nested, plain));
                added++;
            }

            if (rng.Next(4) != 0)
            {
                d.Publish();
            }

            int pops = rng.Next(0, size + 1);
            for (int p = 0; p < pops && pool.Count > 0; p++)
            {
                DescriptorChain c = pool.Peek();
                if (!q.TryPop(c))
                {
                    break;
                }

                pool.Pop();
                Expect e = expected.Dequeue();
                Assert.Equal(e.Id, c.Head);
                Assert.Equal(e.Error, c.Error);
                Assert.Equal(e.Slots, c.RingSlots);
                Assert.True(heldIds.Add(c.Head), "id " + c.Head + " popped while already held");
                held.Add(c);
            }

            int completes = rng.Next(0, held.Count + 1);
            for (int k = 0; k < completes; k++)
            {
                int pick = rng.Next(held.Count);
                DescriptorChain c = held[pick];
                held.RemoveAt(pick);
                Assert.True(heldIds.Remove(c.Head));
                uint len = (uint)rng.Next();
                Assert.True(lengthOf.TryAdd(c.Head, len), "id " + c.Head + " completed twice");
                q.Complete(c, len);
                pool.Push(c);
            }

            if (rng.Next(3) == 0)
            {
                q.InterruptDue();
                q.EnableKicksAndRecheck();
                q.DisableKicks();
            }

            seen += TakeAndCheck(d, lengthOf);
            Assert.Null(q.BrokenReason);
        }

        // Drain everything.
        d.Publish();
        while (pool.Count > 0 && q.TryPop(pool.Peek()))
        {
            DescriptorChain c = pool.Pop();
            Assert.Equal(expected.Dequeue().Id, c.Head);
            held.Add(c);
        }

        Assert.Empty(expected);
        foreach (DescriptorChain c in held)
        {
            lengthOf.Add(c.Head, 1);
            q.Complete(c, 1);
        }

        seen += TakeAndCheck(d, lengthOf);
        Assert.Equal(added, seen);
        Assert.Empty(lengthOf);
        Assert.Equal(0, d.Outstanding);
        Assert.Equal(size, d.FreeDescriptors);
        Assert.Equal((ulong)added, q.CompletedTotal);
        Assert.Equal(d.NextUsed, q.NextUsedIndex);
        Assert.Equal(d.UsedWrap, q.UsedWrapCounter);
        Assert.True(added > 500, "only " + added + " chains");
    }

    private static int TakeAndCheck(PackedDriver d, Dictionary<ushort, uint> lengthOf)
    {
        int n = 0;
        foreach (UsedEntry u in d.TakeUsed())
        {
            Assert.True(lengthOf.Remove((ushort)u.Id, out uint len), "driver saw id " + u.Id + " the device did not complete");
            Assert.Equal(len, u.Length);
            n++;
        }

        return n;
    }

    private static Expect AddRandom(PackedRig rig, Random rng, ulong nested, ulong plain)
    {
        PackedDriver d = rig.Driver;
        int room = d.FreeDescriptors;
        int kind = rng.Next(9);
        if (kind == 8 && room < 2)
        {
            kind = 0;
        }

        int len = rng.Next(1, Math.Min(4, room) + 1);
        int writable = rng.Next(0, len + 1);
        var bufs = new Buf[len];
        for (int i = 0; i < len; i++)
        {
            bufs[i] = i < len - writable ? rig.R(8, (uint)i * 8) : rig.W(8, (uint)i * 8);
        }

        switch (kind)
        {
            case 0:
            case 1:
                return new Expect(d.AddChain(bufs), ChainError.None, len);
            case 2:
                {
                    int entries = rng.Next(1, d.Size + 1);
                    var t = new Buf[entries];
                    for (int i = 0; i < entries; i++)
                    {
                        t[i] = rig.R(4, (uint)i * 4);
                    }

                    return new Expect(d.AddIndirectChain(t), rig.Queue.Indirect ? ChainError.None : ChainError.IndirectNotNegotiated, 1);
                }

            case 3:
                bufs[rng.Next(len)] = new Buf(rig.Data, 0, false) with { DeviceWrites = false };
                return AddWith(d, bufs, ChainError.ZeroLength, fixOrder: true);
            case 4:
                bufs[rng.Next(len)] = new Buf(0xdead_0000, 16, false);
                return AddWith(d, bufs, ChainError.UnmappedAddress, fixOrder: true);
            case 5:
                if (len < 2)
                {
                    return new Expect(d.AddChain(rig.W()), ChainError.None, 1);
                }

                bufs[0] = rig.W();
                bufs[len - 1] = rig.R();
                return new Expect(d.AddChain(bufs), ChainError.ReadableAfterWritable, len);
            case 6:
                {
                    uint[] badLengths = [0, 8, 15, 17, 16u * (uint)(d.Size + 1)];
                    return new Expect(d.AddRaw(new RawDesc(plain, badLengths[rng.Next(badLengths.Length)], I)), ChainError.BadIndirectTable, 1);
                }

            case 7:
                return new Expect(d.AddRaw(new RawDesc(nested, 16, I)), ChainError.NestedIndirect, 1);
            default:
                return new Expect(d.AddRaw(new RawDesc(plain, 16, I | N), new RawDesc(rig.Data + 32768, 1, W)), ChainError.BadIndirectTable, 2);
        }
    }

    /// <summary>Adds <paramref name="bufs"/> with every readable buffer before every writable one, so only the planted mistake remains.</summary>
    private static Expect AddWith(PackedDriver d, Buf[] bufs, ChainError error, bool fixOrder)
    {
        if (fixOrder)
        {
            Array.Sort(bufs, (a, b) => a.DeviceWrites.CompareTo(b.DeviceWrites));
        }

        return new Expect(d.AddChain(bufs), error, bufs.Length);
    }
}
