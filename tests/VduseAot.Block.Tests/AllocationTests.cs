using System;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>The device side (SplitQueue + BlkQueue + BlkExecutor + RamBackend) must not allocate per request.</summary>
public sealed unsafe class AllocationTests
{
    private const ushort QueueSize = 128;
    private const int Batch = 32;          // 16 OUT + 16 IN, 3 descriptors each
    private const uint Bytes = 4096;

    [Fact]
    public void Hundred_thousand_4k_requests_allocate_nothing_on_the_device_side()
    {
        using var rig = new BlkRig(size: QueueSize, capacity: 1UL << 20);
        var heads = new ushort[Batch];
        var status = new ulong[Batch];
        var layouts = new BlkRequestLayout[Batch];
        for (int i = 0; i < Batch; i++)
        {
            // Pairs (OUT i, IN i+1) on the same sectors: the IN reads what the OUT just wrote.
            bool write = i % 2 == 0;
            ulong sector = (ulong)(i / 2) * 8;
            layouts[i] = rig.Builder.Add(write ? VirtioBlk.VIRTIO_BLK_T_OUT : VirtioBlk.VIRTIO_BLK_T_IN, sector, Bytes, pieces: 2);
            heads[i] = layouts[i].Head;
            status[i] = layouts[i].StatusIova;
            if (write)
            {
                rig.Fill(layouts[i].DataIova, (int)Bytes, i);
            }
        }

        // First round uses the heads AddChain already pushed.
        rig.Driver.Publish();
        Assert.Equal(Batch, rig.Queue.Process(Batch));
        for (int i = 0; i < Batch; i++)
        {
            Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(layouts[i]));
        }

        for (int i = 1; i < Batch; i += 2)
        {
            Assert.True(rig.Builder.Data(layouts[i - 1]).SequenceEqual(rig.Builder.Data(layouts[i])));
        }

        byte** statusPtr = stackalloc byte*[Batch];
        for (int i = 0; i < Batch; i++)
        {
            statusPtr[i] = rig.Ram.Host(status[i]);
        }

        ushort* usedIdx = (ushort*)(rig.Ram.Host(rig.Driver.UsedIova) + 2);
        var usedRing = (vring_used_elem*)(rig.Ram.Host(rig.Driver.UsedIova) + 4);

        // Warm-up: let the JIT reach its final tier for everything on the path.
        Totals warm = Drive(rig, heads, statusPtr, usedIdx, usedRing, 400);
        Assert.Equal(400 * Batch, warm.Completed);
        Assert.Equal(0, warm.Failures);

        ulong statsBefore = rig.Stats.Requests;
        const int Batches = 100_000 / Batch;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Totals t = Drive(rig, heads, statusPtr, usedIdx, usedRing, Batches);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Batches * Batch, t.Completed);
        Assert.True(t.Completed >= 100_000 - Batch);
        Assert.Equal(0, t.Failures);
        Assert.Equal((ulong)t.Completed, rig.Stats.Requests - statsBefore);
        Assert.Equal(rig.Stats.Requests, rig.Stats.Latency.Count);
        Assert.Equal((long)Batches * Batch / 2 * (Bytes + 1 + 1), t.UsedBytes); // OUT: 1, IN: 4096 + 1
        Assert.Equal(0L, allocated);
    }

    private struct Totals
    {
        public int Completed;
        public int Failures;
        public long UsedBytes;
    }

    /// <summary>The driver side with raw stores only: re-push the same heads, publish, process, check the used ring.</summary>
    // Optimized from the start: at tier 0 the on-stack replacement of this loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the data path's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static Totals Drive(BlkRig rig, ushort[] heads, byte** status, ushort* usedIdx, vring_used_elem* usedRing, int batches)
    {
        Totals t = default;
        SplitDriver driver = rig.Driver;
        BlkQueue<FakeGuestMemory> queue = rig.Queue;
        for (int b = 0; b < batches; b++)
        {
            for (int i = 0; i < heads.Length; i++)
            {
                status[i][0] = 0xff;
                driver.PushHead(heads[i]);
            }

            driver.Publish();
            ushort start = *usedIdx;
            int done = queue.Process(heads.Length);
            t.Completed += done;
            if (done != heads.Length || (ushort)(*usedIdx - start) != heads.Length)
            {
                t.Failures++;
            }

            for (int i = 0; i < heads.Length; i++)
            {
                vring_used_elem e = usedRing[(ushort)(start + i) & (QueueSize - 1)];
                t.UsedBytes += e.len;
                if (e.id != heads[i] || status[i][0] != VirtioBlk.VIRTIO_BLK_S_OK)
                {
                    t.Failures++;
                }
            }
        }

        return t;
    }
}
