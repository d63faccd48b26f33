using System;
using System.IO;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>
/// The device side over a file (SplitQueue + BlkQueue + BlkExecutor + FileBackend + a real io_uring),
/// driven as a queue thread drives it, must not allocate per request.
/// </summary>
public sealed unsafe class FileAllocationTests
{
    private const ushort QueueSize = 128;
    private const int Batch = 32;          // 16 OUT + 16 IN, 4 descriptors each
    private const int Half = Batch / 2;
    private const uint Bytes = 4096;
    private const ulong ReadArea = 2048;   // sectors the INs read (1 MiB in); the OUTs write sectors 0..127

    [Fact]
    public void Hundred_thousand_4k_file_requests_through_io_uring_allocate_nothing_on_the_device_side()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("disk.img");
        byte[] readArea = FileRig.Pattern(Half * (int)Bytes, 50);
        using (var f = new FileStream(path, FileMode.Create))
        {
            f.SetLength(4L << 20);
            f.Position = (long)ReadArea * 512;
            f.Write(readArea);
        }

        using FileRig rig = FileRig.OpenFile(path, null, queueSize: QueueSize);
        var heads = new ushort[Batch];
        var layouts = new BlkRequestLayout[Batch];
        for (int i = 0; i < Batch; i++)
        {
            // OUTs and INs touch disjoint sectors: requests in flight together may finish in any order.
            bool write = i < Half;
            int k = i % Half;
            ulong sector = (write ? 0 : ReadArea) + ((ulong)k * 8);
            layouts[i] = rig.Builder.Add(write ? VirtioBlk.VIRTIO_BLK_T_OUT : VirtioBlk.VIRTIO_BLK_T_IN, sector, Bytes, pieces: 2);
            heads[i] = layouts[i].Head;
            if (write)
            {
                rig.Fill(layouts[i].DataIova, (int)Bytes, 200 + k);
            }
        }

        // First round uses the heads AddChain already pushed.
        Assert.Equal(Batch, rig.RunUntilIdle(Batch).Count);
        Assert.All(layouts, l => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(l)));

        byte** status = stackalloc byte*[Batch];
        for (int i = 0; i < Batch; i++)
        {
            status[i] = rig.Ram.Host(layouts[i].StatusIova);
        }

        ushort* usedIdx = (ushort*)(rig.Ram.Host(rig.Driver.UsedIova) + 2);
        var usedRing = (vring_used_elem*)(rig.Ram.Host(rig.Driver.UsedIova) + 4);
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[64];
        var seen = new int[QueueSize];
        var ctx = new Context(rig, heads, status, usedIdx, usedRing, seen);

        // Warm-up: let the JIT reach its final tier for everything on the path.
        UsedTotals warm = Drive(ref ctx, cqes, 400);
        Assert.Equal(400 * Batch, warm.Completed);
        Assert.Equal(0, warm.Failures);

        ulong statsBefore = rig.Stats.Requests;
        const int Batches = (100_000 + Batch - 1) / Batch;
        long before = GC.GetAllocatedBytesForCurrentThread();
        UsedTotals t = Drive(ref ctx, cqes, Batches);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Batches * Batch, t.Completed);
        Assert.True(t.Completed >= 100_000);
        Assert.Equal(0, t.Failures);
        Assert.Equal((ulong)t.Completed, rig.Stats.Requests - statsBefore);
        Assert.Equal((long)Batches * Half * (Bytes + 1 + 1), t.UsedBytes); // OUT: 1, IN: 4096 + 1
        Assert.Equal(0UL, rig.Stats.IoErrors);
        Assert.Equal(0, rig.Queue.InFlight);
        Assert.Equal(0L, allocated);

        // The data really moved: the file holds what the OUTs wrote, the INs hold what the file had.
        byte[] file = File.ReadAllBytes(path);
        for (int k = 0; k < Half; k++)
        {
            Assert.True(FileRig.Pattern((int)Bytes, 200 + k).AsSpan().SequenceEqual(file.AsSpan(k * (int)Bytes, (int)Bytes)), "OUT " + k);
            Assert.True(readArea.AsSpan(k * (int)Bytes, (int)Bytes).SequenceEqual(rig.Builder.Data(layouts[Half + k])), "IN " + k);
        }
    }

    private readonly struct Context(FileRig rig, ushort[] heads, byte** status, ushort* usedIdx, vring_used_elem* usedRing, int[] seen)
    {
        public readonly SplitDriver Driver = rig.Driver;
        public readonly BlkQueue<FakeGuestMemory> Queue = rig.Queue;
        public readonly SplitQueue<FakeGuestMemory> Ring = rig.Ring;
        public readonly IoUring Uring = rig.Uring;
        public readonly ushort[] Heads = heads;
        public readonly byte** Status = status;
        public readonly ushort* UsedIdx = usedIdx;
        public readonly vring_used_elem* UsedRing = usedRing;
        public readonly int[] Seen = seen;
    }

    /// <summary>
    /// The driver side with raw stores only (re-push the same heads, publish), the device side as the queue
    /// thread runs it: Process, Submit, Reap into a preallocated span, OnCompletion, PublishUsed, wait when idle.
    /// </summary>
    // Optimized from the start: at tier 0 the on-stack replacement of this loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the data path's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static UsedTotals Drive(ref Context c, Span<io_uring_cqe> cqes, int batches)
    {
        UsedTotals t = default;
        for (int b = 0; b < batches; b++)
        {
            for (int i = 0; i < c.Heads.Length; i++)
            {
                c.Status[i][0] = 0xff;
                c.Driver.PushHead(c.Heads[i]);
            }

            c.Driver.Publish();
            ushort start = *c.UsedIdx;
            int popped = c.Queue.Process(c.Heads.Length);
            if (popped != c.Heads.Length)
            {
                t.Failures++;
            }

            c.Uring.Submit();
            while ((ushort)(*c.UsedIdx - start) != c.Heads.Length)
            {
                if (c.Queue.InFlight == 0)
                {
                    // Nothing left in the kernel and still not all used: give up on this batch.
                    t.Failures++;
                    break;
                }

                int n = c.Uring.Reap(cqes);
                if (n == 0)
                {
                    c.Uring.SubmitAndWait(1);
                    continue;
                }

                for (int i = 0; i < n; i++)
                {
                    c.Queue.OnCompletion(cqes[i].user_data, cqes[i].res);
                }

                c.Ring.PublishUsed();
                c.Uring.Submit(); // retries of short transfers
            }

            // Every head exactly once, in whatever order the kernel finished them.
            UsedRingAudit.Batch(ref t, c.UsedRing, QueueSize, start, *c.UsedIdx, c.Heads, c.Status, c.Seen, b + 1 + (batches << 16));
        }

        return t;
    }
}
