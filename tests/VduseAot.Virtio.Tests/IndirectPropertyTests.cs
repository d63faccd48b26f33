using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>Random mixes of direct, indirect and broken indirect chains against one queue, checked against a model.</summary>
public sealed unsafe class IndirectPropertyTests
{
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort I = VirtioConstants.VRING_DESC_F_INDIRECT;
    private const ushort Size = 16;
    private const uint PoolBytes = 64 * 1024;
    private const ulong SlotBytes = 16UL * (Size + 1);

    private sealed record Expected(ChainError Error, int Walked, Buf[]? Bufs);

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Every_indirect_chain_is_returned_exactly_once_and_nothing_is_lost(int seed)
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, Size);
        var queue = driver.CreateQueue(indirect: true);
        ram.RegionSize = 512; // after Start: rings stay contiguous; buffers and tables split (entries never do: 16-aligned)
        ulong pool = ram.Alloc(PoolBytes, 4096);
        ulong hole = ram.Alloc(4096, 4096);
        ram.Protect(hole, 4096, readOnly: false);

        // One table slot per outstanding chain, as a driver allocates one table per request; a slot is reused only
        // after the driver has seen its chain in the used ring.
        ulong tables = ram.Alloc(SlotBytes * Size, 16);
        var freeSlots = new Stack<ulong>();
        for (int i = Size - 1; i >= 0; i--)
        {
            freeSlots.Push(tables + ((ulong)i * SlotBytes));
        }

        var slotOf = new Dictionary<ushort, ulong>();
        var rng = new Random(seed);
        var chain = new DescriptorChain(1024);
        var expected = new Dictionary<ushort, Expected>();
        var inDevice = new List<(ushort Head, uint Len)>();
        ushort pushed = 0;
        long added = 0, completed = 0, indirectValid = 0, indirectBroken = 0;
        var errorsSeen = new HashSet<ChainError>();

        Buf RandomBuf(bool write)
        {
            uint len = (uint)rng.Next(1, 2049);
            ulong at = pool + (ulong)rng.NextInt64(0, PoolBytes - len);
            return new Buf(at, len, write);
        }

        Buf[] RandomBufs(int count, int writableFrom)
        {
            var bufs = new Buf[count];
            for (int i = 0; i < count; i++)
            {
                bufs[i] = RandomBuf(i >= writableFrom);
            }

            return bufs;
        }

        void Returned(List<UsedEntry> used)
        {
            foreach (UsedEntry u in used)
            {
                if (slotOf.Remove((ushort)u.Id, out ulong slot))
                {
                    freeSlots.Push(slot);
                }
            }
        }

        for (int iter = 0; iter < 2000; iter++)
        {
            int want = rng.Next(0, 6);
            for (int k = 0; k < want && (ushort)(pushed - queue.LastAvailIndex) < Size; k++)
            {
                int free = driver.FreeDescriptors;
                int kind = rng.Next(10);
                if (kind < 2)
                {
                    // A direct chain.
                    int n = rng.Next(1, 4);
                    if (n > free)
                    {
                        break;
                    }

                    Buf[] bufs = RandomBufs(n, rng.Next(0, n + 1));
                    ushort head = driver.AddChain(bufs);
                    expected.Add(head, new Expected(ChainError.None, n, bufs));
                }
                else if (kind < 6)
                {
                    // A valid indirect chain: 0-2 direct descriptors, then a table of 1..Size entries.
                    int direct = rng.Next(0, 3);
                    if (direct + 1 > free || freeSlots.Count == 0)
                    {
                        break;
                    }

                    int entries = rng.Next(1, Size + 1);
                    Buf[] all = RandomBufs(direct + entries, rng.Next(0, direct + entries + 1));
                    ulong slot = freeSlots.Pop();
                    ushort head = driver.AddIndirectChain(slot, all[..direct], all[direct..]);
                    slotOf.Add(head, slot);
                    expected.Add(head, new Expected(ChainError.None, direct + 1 + entries, all));
                    indirectValid++;
                }
                else
                {
                    // A broken indirect chain: at most one readable direct descriptor, then the indirect one.
                    int direct = rng.Next(0, 2);
                    if (direct + 1 > free || freeSlots.Count == 0)
                    {
                        break;
                    }

                    ushort[] ids = driver.Reserve(direct + 1);
                    ulong slot = freeSlots.Pop();
                    slotOf.Add(ids[0], slot);
                    (ChainError error, int walked) = WriteBroken(driver, ids, slot, rng, RandomBuf, hole);
                    driver.PushHead(ids[0]);
                    expected.Add(ids[0], new Expected(error, walked, null));
                    indirectBroken++;
                }

                pushed++;
                added++;
            }

            if (rng.Next(4) != 0)
            {
                driver.Publish();
            }

            int pops = rng.Next(0, Size + 1);
            for (int k = 0; k < pops && queue.TryPop(chain); k++)
            {
                Assert.True(expected.Remove(chain.Head, out Expected? e), "popped head " + chain.Head + " that is not outstanding or popped twice");
                Check(ram, chain, e!);
                errorsSeen.Add(chain.Error);
                inDevice.Add((chain.Head, (uint)chain.WritableBytes));
            }

            int completions = rng.Next(0, inDevice.Count + 1);
            var done = new List<UsedEntry>();
            for (int k = 0; k < completions; k++)
            {
                int pick = rng.Next(inDevice.Count);
                (ushort head, uint len) = inDevice[pick];
                inDevice.RemoveAt(pick);
                queue.AddUsed(head, len);
                done.Add(new UsedEntry(head, len));
            }

            Assert.Equal(done.Count > 0, queue.PublishUsed());
            List<UsedEntry> used = driver.TakeUsed(); // throws on an id not outstanding or returned twice
            Assert.Equal(done, used);
            Returned(used);
            completed += done.Count;
            Assert.Null(queue.BrokenReason);
        }

        driver.Publish();
        while (queue.TryPop(chain))
        {
            Assert.True(expected.Remove(chain.Head, out Expected? e));
            Check(ram, chain, e!);
            inDevice.Add((chain.Head, (uint)chain.WritableBytes));
        }

        foreach ((ushort head, uint len) in inDevice)
        {
            queue.AddUsed(head, len);
        }

        completed += inDevice.Count;
        queue.PublishUsed();
        List<UsedEntry> last = driver.TakeUsed();
        Assert.Equal(inDevice.Count, last.Count);
        Returned(last);

        Assert.Empty(expected);
        Assert.Empty(slotOf);
        Assert.Equal(Size, freeSlots.Count);
        Assert.Equal(0, driver.Outstanding);
        Assert.Equal(Size, driver.FreeDescriptors);
        Assert.Equal(added, completed);
        Assert.True(added > 1000);
        Assert.True(indirectValid > 300 && indirectBroken > 300, $"valid {indirectValid}, broken {indirectBroken}");
        Assert.Equal(8, errorsSeen.Count); // None and the seven errors WriteBroken makes
        Assert.Equal(pushed, queue.LastAvailIndex);
        Assert.Equal((ushort)completed, queue.NextUsedIndex);
        Assert.Null(queue.BrokenReason);
    }

    /// <summary>Writes a broken indirect chain on <paramref name="ids"/> (the last one is the indirect descriptor) with its table in <paramref name="slot"/>.</summary>
    private static (ChainError, int) WriteBroken(SplitDriver d, ushort[] ids, ulong slot, Random rng, Func<bool, Buf> buf, ulong hole)
    {
        int direct = ids.Length - 1;
        for (int i = 0; i < direct; i++)
        {
            Buf b = buf(false);
            d.WriteDescriptor(ids[i], b.Iova, b.Length, N, ids[i + 1]);
        }

        ushort main = ids[direct];
        int count = rng.Next(1, Size + 1);
        int at = rng.Next(0, count); // the entry that carries the defect

        // A valid, readable table of `count` entries; the cases below break it.
        var entries = new Buf[count];
        for (int i = 0; i < count; i++)
        {
            entries[i] = buf(false);
        }

        uint length = d.WriteIndirectTable(slot, entries);
        int walkedTo = direct + 1 + at + 1;
        switch (rng.Next(9))
        {
            case 0:
            {
                uint[] bad = [0, 8, (uint)rng.Next(1, 16) + length - 16, length + (uint)rng.Next(1, 16), 16 * (Size + 1)];
                uint badLength = bad[rng.Next(bad.Length)];
                if (badLength == 16 * (Size + 1))
                {
                    d.WriteIndirectTable(slot, [.. entries, buf(false)]);
                }

                d.WriteDescriptor(main, slot, badLength, I, 0);
                return (ChainError.BadIndirectTable, direct + 1);
            }

            case 1:
            {
                // INDIRECT with NEXT: the chain would continue past the table.
                ushort next = direct > 0 ? ids[0] : (ushort)rng.Next(0, Size);
                d.WriteDescriptor(main, slot, length, (ushort)(I | N), next);
                return (ChainError.BadIndirectTable, direct + 1);
            }

            case 2:
                d.WriteTableEntry(slot, at, entries[at].Iova, entries[at].Length, I, 0);
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.NestedIndirect, walkedTo);
            case 3:
                d.WriteTableEntry(slot, at, entries[at].Iova, entries[at].Length, N, (ushort)rng.Next(count, 0x10000));
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.IndexOutOfRange, walkedTo);
            case 4:
                d.WriteTableEntry(slot, count - 1, entries[count - 1].Iova, entries[count - 1].Length, N, (ushort)rng.Next(0, count));
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.TooLong, direct + 1 + count);
            case 5:
                d.WriteDescriptor(main, hole + (16UL * (ulong)rng.Next(0, 200)), length, I, 0);
                return (ChainError.UnmappedAddress, direct + 1);
            case 6:
                d.WriteTableEntry(slot, at, hole + (ulong)rng.Next(0, 4096 - 64), 64, at == count - 1 ? (ushort)0 : N, (ushort)(at + 1));
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.UnmappedAddress, walkedTo);
            case 7:
                d.WriteTableEntry(slot, at, entries[at].Iova, 0, at == count - 1 ? (ushort)0 : N, (ushort)(at + 1));
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.ZeroLength, walkedTo);
            default:
            {
                if (count < 2)
                {
                    // No room for two entries: a table with only a nested entry then.
                    d.WriteTableEntry(slot, 0, entries[0].Iova, entries[0].Length, I, 0);
                    d.WriteDescriptor(main, slot, length, I, 0);
                    return (ChainError.NestedIndirect, direct + 2);
                }

                // A writable entry followed by the readable rest.
                int w = Math.Min(at, count - 2);
                d.WriteTableEntry(slot, w, entries[w].Iova, entries[w].Length, W | N, (ushort)(w + 1));
                d.WriteDescriptor(main, slot, length, I, 0);
                return (ChainError.ReadableAfterWritable, direct + 1 + w + 2);
            }
        }
    }

    private static void Check(GuestRam ram, DescriptorChain chain, Expected e) => ChainModel.Check(ram, chain, e.Error, e.Walked, e.Bufs);
}
