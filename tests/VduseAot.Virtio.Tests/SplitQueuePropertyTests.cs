using System;
using System.Collections.Generic;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>Random mixes of valid and broken chains against one queue, checked against a model.</summary>
public sealed unsafe class SplitQueuePropertyTests
{
    private const ushort W = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort N = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort Size = 16;
    private const uint PoolBytes = 64 * 1024;

    private sealed record Expected(ChainError Error, int Walked, Buf[]? Bufs);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_chain_is_returned_exactly_once_and_nothing_is_lost(int seed)
    {
        using var ram = new GuestRam(1 << 20);
        var driver = new SplitDriver(ram, Size);
        var queue = driver.CreateQueue();
        ram.RegionSize = 512; // after Start: rings stay contiguous, buffers split
        ulong pool = ram.Alloc(PoolBytes, 4096);
        ulong readOnly = ram.Alloc(4096, 4096);
        ram.Protect(readOnly, 4096, readOnly: true);
        ulong hole = ram.Alloc(4096, 4096);
        ram.Protect(hole, 4096, readOnly: false);

        var rng = new Random(seed);
        var chain = new DescriptorChain(1024);
        var expected = new Dictionary<ushort, Expected>();
        var inDevice = new List<(ushort Head, uint Len)>();
        ushort pushed = 0;
        ulong badHeads = 0;
        long added = 0, completed = 0;

        Buf RandomBuf(bool write)
        {
            uint len = (uint)rng.Next(1, 2049);
            ulong at = pool + (ulong)rng.NextInt64(0, PoolBytes - len);
            return new Buf(at, len, write);
        }

        for (int iter = 0; iter < 2000; iter++)
        {
            // Driver: add a few chains while there is room in the avail ring and the table.
            int want = rng.Next(0, 6);
            for (int k = 0; k < want && (ushort)(pushed - queue.LastAvailIndex) < Size; k++)
            {
                if (rng.Next(10) == 0)
                {
                    driver.PushHead((ushort)rng.Next(Size, 0x10000));
                    pushed++;
                    badHeads++;
                    continue;
                }

                int kind = rng.Next(10);
                int free = driver.FreeDescriptors;
                if (kind < 4)
                {
                    int readable = rng.Next(0, 4), writable = rng.Next(readable == 0 ? 1 : 0, 4);
                    if (readable + writable > free)
                    {
                        break;
                    }

                    var bufs = new Buf[readable + writable];
                    for (int i = 0; i < bufs.Length; i++)
                    {
                        bufs[i] = RandomBuf(i >= readable);
                    }

                    ushort head = driver.AddChain(bufs);
                    expected.Add(head, new Expected(ChainError.None, bufs.Length, bufs));
                }
                else
                {
                    int len = rng.Next(1, 5);
                    if (len > free)
                    {
                        break;
                    }

                    ushort[] ids = driver.Reserve(len);
                    (ChainError error, int walked) = WriteBroken(driver, ids, kind, rng, RandomBuf, readOnly, hole);
                    driver.PushHead(ids[0]);
                    expected.Add(ids[0], new Expected(error, walked, null));
                }

                pushed++;
                added++;
            }

            if (rng.Next(4) != 0)
            {
                driver.Publish();
            }

            // Device: pop some, check each against the model, hold them.
            int pops = rng.Next(0, Size + 1);
            for (int k = 0; k < pops && queue.TryPop(chain); k++)
            {
                Assert.True(expected.Remove(chain.Head, out Expected? e), "popped head " + chain.Head + " that is not outstanding or popped twice");
                Check(ram, chain, e!);
                inDevice.Add((chain.Head, (uint)chain.WritableBytes));
            }

            // Device: complete a random subset in random order.
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
            Assert.Equal(done, driver.TakeUsed());
            completed += done.Count;
            Assert.Null(queue.BrokenReason);
        }

        // Drain.
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
        Assert.Equal(inDevice.Count, driver.TakeUsed().Count);

        Assert.Empty(expected);
        Assert.Equal(0, driver.Outstanding);
        Assert.Equal(Size, driver.FreeDescriptors);
        Assert.Equal(added, completed);
        Assert.True(added > 1000);
        Assert.Equal(badHeads, queue.BadHeads);
        Assert.Equal(pushed, queue.LastAvailIndex);
        Assert.Equal((ushort)completed, queue.NextUsedIndex);
        Assert.Null(queue.BrokenReason);
    }

    private static (ChainError, int) WriteBroken(SplitDriver d, ushort[] ids, int kind, Random rng, Func<bool, Buf> buf, ulong readOnly, ulong hole)
    {
        int n = ids.Length;

        // Descriptors 0..n-2 are valid and linked; the last one carries the defect (except for loops).
        int writableFrom = rng.Next(0, n + 1);
        for (int i = 0; i < n - 1; i++)
        {
            Buf b = buf(i >= writableFrom);
            d.WriteDescriptor(ids[i], b.Iova, b.Length, (ushort)(N | (b.DeviceWrites ? W : 0)), ids[i + 1]);
        }

        Buf last = buf(n - 1 >= writableFrom);
        ushort lastFlags = last.DeviceWrites ? W : (ushort)0;
        ushort id = ids[n - 1];
        switch (kind)
        {
            case 4: // loop back to an earlier descriptor of the same direction (so no other rule trips first)
                int target = last.DeviceWrites ? rng.Next(writableFrom, n) : rng.Next(0, n);
                d.WriteDescriptor(id, last.Iova, last.Length, (ushort)(N | lastFlags), ids[target]);
                return (ChainError.TooLong, Size);
            case 5:
                d.WriteDescriptor(id, last.Iova, last.Length, (ushort)(N | lastFlags), (ushort)rng.Next(Size, 0x10000));
                return (ChainError.IndexOutOfRange, n);
            case 6:
                d.WriteDescriptor(id, last.Iova, 0, lastFlags, 0);
                return (ChainError.ZeroLength, n);
            case 7:
                d.WriteDescriptor(id, last.Iova, last.Length, (ushort)(lastFlags | VirtioConstants.VRING_DESC_F_INDIRECT), 0);
                return (ChainError.IndirectNotNegotiated, n);
            case 8:
                d.WriteDescriptor(id, hole + (ulong)rng.Next(0, 4096 - 64), 64, lastFlags, 0);
                return (ChainError.UnmappedAddress, n);
            default:
                if (n >= 2 && writableFrom < n - 1)
                {
                    // A writable descriptor came earlier: a readable one now is out of order.
                    d.WriteDescriptor(id, last.Iova, last.Length, 0, 0);
                    return (ChainError.ReadableAfterWritable, n);
                }

                // Otherwise write into read-only memory.
                d.WriteDescriptor(id, readOnly + (ulong)rng.Next(0, 4096 - 64), 64, W, 0);
                return (ChainError.UnmappedAddress, n);
        }
    }

    private static void Check(GuestRam ram, DescriptorChain chain, Expected e) => ChainModel.Check(ram, chain, e.Error, e.Walked, e.Bufs);
}
