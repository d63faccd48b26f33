using System;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// The journal is updated on every pop and completion, so it must not allocate: 100,000 chains
/// popped, completed (out of order) and published with a journal attached allocate nothing.
/// </summary>
public sealed unsafe class RingJournalAllocationTests
{
    private const int Batch = 4;
    private const int Chains = 100_000;

    [Fact]
    public void Split_pop_complete_publish_with_a_journal_allocates_nothing()
    {
        const ushort Size = 16;
        using var ram = new GuestRam(1UL << 20);
        using var region = new JournalRegion(Size);
        var driver = new SplitDriver(ram, Size);
        var queue = driver.CreateQueue(journal: new RingJournal(region.Ptr, Size));
        ulong data = ram.Alloc(4096, 4096);

        // The driver side without allocations: the same chains are re-pushed every round (the device
        // never checks ownership), and the used index is read straight from guest memory.
        var heads = new ushort[Batch];
        for (int i = 0; i < Batch; i++)
        {
            heads[i] = driver.AddChain(new Buf(data + ((ulong)i * 64), 16, false), new Buf(data + 2048 + ((ulong)i * 64), 32, true));
        }

        driver.Publish();
        ushort* usedIdx = (ushort*)(ram.Host(driver.UsedIova) + 2);
        var chains = new DescriptorChain[Batch];
        for (int i = 0; i < Batch; i++)
        {
            chains[i] = new DescriptorChain(8);
        }

        // The first round pops the chains AddChain pushed; later rounds re-push them.
        Assert.Equal(Batch, SplitRounds(queue, driver, heads, chains, 1, repush: false));
        Assert.Equal(Batch * 400, SplitRounds(queue, driver, heads, chains, 400, repush: true)); // warm-up: final JIT tier

        ushort usedBefore = *usedIdx;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int done = SplitRounds(queue, driver, heads, chains, Chains / Batch, repush: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Chains, done);
        Assert.Equal((ushort)(usedBefore + Chains), *usedIdx);
        Assert.Equal(0L, allocated);
        Assert.Null(queue.BrokenReason);
    }

    [Fact]
    public void Packed_pop_complete_with_a_journal_allocates_nothing()
    {
        const ushort Size = 16;
        using var ram = new GuestRam(1UL << 20);
        using var region = new JournalRegion(Size);
        var driver = new PackedDriver(ram, Size);
        var queue = driver.CreateQueue(journal: new RingJournal(region.Ptr, Size));
        ulong data = ram.Alloc(4096, 4096);

        // Three-slot chains so the ring wraps at a different slot each lap and the journal's
        // descriptor pool is exercised; the PackedDriver's span APIs allocate nothing.
        var bufs = new Buf[Batch][];
        for (int i = 0; i < Batch; i++)
        {
            bufs[i] = [new Buf(data + ((ulong)i * 64), 16, false), new Buf(data + 1024 + ((ulong)i * 64), 8, false), new Buf(data + 2048 + ((ulong)i * 64), 32, true)];
        }

        var chains = new DescriptorChain[Batch];
        for (int i = 0; i < Batch; i++)
        {
            chains[i] = new DescriptorChain(8);
        }

        var used = new UsedEntry[Size];
        Assert.Equal(Batch * 400, PackedRounds(queue, driver, bufs, chains, used, 400));

        long before = GC.GetAllocatedBytesForCurrentThread();
        int done = PackedRounds(queue, driver, bufs, chains, used, Chains / Batch);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Chains, done);
        Assert.Equal(0L, allocated);
        Assert.Null(queue.BrokenReason);
        Assert.Equal(driver.NextUsed, queue.NextUsedIndex);
        Assert.Equal(0, driver.Outstanding);
    }

    /// <summary>Each round: (re)make the batch available, pop it, complete it in reverse order, publish. Returns chains completed.</summary>
    // Optimized from the start: at tier 0 the on-stack replacement of this loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the code under test's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int SplitRounds(SplitQueue<FakeGuestMemory> queue, SplitDriver driver, ushort[] heads, DescriptorChain[] chains, int rounds, bool repush)
    {
        int done = 0;
        for (int r = 0; r < rounds; r++)
        {
            if (repush)
            {
                for (int i = 0; i < heads.Length; i++)
                {
                    driver.PushHead(heads[i]);
                }

                driver.Publish();
            }

            int n = PopAllCompleteInReverse(queue, chains);
            done += n;
        }

        return done;
    }

    // Optimized from the start: at tier 0 the on-stack replacement of this loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the code under test's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int PackedRounds(PackedQueue<FakeGuestMemory> queue, PackedDriver driver, Buf[][] bufs, DescriptorChain[] chains, UsedEntry[] used, int rounds)
    {
        int done = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < bufs.Length; i++)
            {
                driver.AddChain(bufs[i]);
            }

            driver.Publish();
            int n = PopAllCompleteInReverse(queue, chains);
            int got = driver.TakeUsed(used);
            if (got != n)
            {
                throw new InvalidOperationException("driver saw " + got + " of " + n);
            }

            done += got;
        }

        return done;
    }

    /// <summary>Pops what is available (at most one chain per slot), completes it newest first, publishes once.</summary>
    private static int PopAllCompleteInReverse(IDeviceQueue queue, DescriptorChain[] chains)
    {
        int n = 0;
        while (n < chains.Length && queue.TryPop(chains[n]))
        {
            n++;
        }

        for (int i = n - 1; i >= 0; i--)
        {
            queue.Complete(chains[i], (uint)chains[i].WritableBytes);
        }

        queue.FlushUsed();
        return n;
    }
}
