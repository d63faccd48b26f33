using System;
using System.Runtime.CompilerServices;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// The measured loop of the network allocation tests: 32 requests at a time (16 OUT, 16 IN) through a
/// queue over a network backend, on a thread of its own that alone is counted; the server's disk must
/// hold what the OUTs wrote and the INs what it had.
/// </summary>
internal static unsafe class NetworkAllocationLoop
{
    public const ushort QueueSize = 256;
    private const int Batch = 32;         // 16 OUT + 16 IN, 2 data descriptors each
    private const int Half = Batch / 2;
    // 4800 requests after the connection came up. Paths the data takes only now and then (a read's
    // data split over TCP segments, received in place) run their one-time initialization on their
    // first use; with 20 batches that first use fell in the measured part of about one NBD run in
    // four (7448 bytes, always the same: a one-off, not per request).
    private const int WarmBatches = 150;
    private const ulong ReadArea = 4096;  // sectors the INs read (2 MiB in); the OUTs write from sector 0

    /// <summary>
    /// Runs <paramref name="requests"/> requests of <paramref name="bytes"/> after a warm-up; returns the
    /// bytes the queue thread allocated and the time taken. <paramref name="connections"/> counts the
    /// connections the server saw for the queue (one throughout).
    /// </summary>
    public static (long Allocated, long ElapsedMs) Measure(IBlockBackend backend, byte[] disk, uint bytes, int requests, Func<int> connections)
    {
        string progress = "starting";
        long allocated = -1;
        long elapsedMs = 0;
        // A failure or a hang leaves the backend and the server as they are: a queue may still be using them.
        OwnThread.Run(TimeSpan.FromSeconds(120), () =>
        {
            using var rig = new QueueRig(backend, QueueSize);
            byte[] readArea = Pattern(Half * (int)bytes, 50);
            readArea.CopyTo(disk, (int)(ReadArea * 512));
            var layouts = new BlkRequestLayout[Batch];
            var heads = new ushort[Batch];
            for (int i = 0; i < Batch; i++)
            {
                // OUTs and INs touch disjoint sectors: requests in flight together may finish in any order.
                bool write = i < Half;
                int k = i % Half;
                ulong sector = (write ? 0 : ReadArea) + ((ulong)k * bytes / 512);
                layouts[i] = rig.Builder.Add(write ? VirtioBlk.VIRTIO_BLK_T_OUT : VirtioBlk.VIRTIO_BLK_T_IN, sector, bytes, pieces: 2);
                heads[i] = layouts[i].Head;
                if (write)
                {
                    Pattern((int)bytes, 200 + k).CopyTo(rig.Builder.Data(layouts[i]));
                }
            }

            // First round: the heads AddChain pushed; it also waits for the connection.
            int used = 0;
            while (used < Batch)
            {
                used += rig.Step().Count;
            }

            Assert.All(layouts, l => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(l)));

            byte** status = stackalloc byte*[Batch];
            for (int i = 0; i < Batch; i++)
            {
                status[i] = rig.Ram.Host(layouts[i].StatusIova);
            }

            Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[64];
            var c = new Context(rig, heads, status, new int[QueueSize]);
            UsedTotals warm = Drive(ref c, cqes, WarmBatches);
            Assert.Equal(WarmBatches * Batch, warm.Completed);
            Assert.Equal(0, warm.Failures);
            progress = "warmed up";

            int batches = (requests + Batch - 1) / Batch;
            ulong statsBefore = rig.Queue.Stats.Requests;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            UsedTotals t = Drive(ref c, cqes, batches);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            elapsedMs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            progress = "measured";

            Assert.Equal(batches * Batch, t.Completed);
            Assert.Equal(0, t.Failures);
            Assert.Equal((ulong)t.Completed, rig.Queue.Stats.Requests - statsBefore);
            Assert.Equal((long)batches * Half * (bytes + 1 + 1), t.UsedBytes); // OUT: 1, IN: bytes + 1
            Assert.Equal(0UL, rig.Queue.Stats.IoErrors);
            Assert.Equal(1, connections()); // one connection throughout
            Assert.Equal(0, rig.Queue.InFlight);

            // The data really moved: the server holds what the OUTs wrote, the INs hold what it had.
            for (int k = 0; k < Half; k++)
            {
                Assert.True(Pattern((int)bytes, 200 + k).AsSpan().SequenceEqual(disk.AsSpan(k * (int)bytes, (int)bytes)), "OUT " + k);
                Assert.True(readArea.AsSpan(k * (int)bytes, (int)bytes).SequenceEqual(rig.Builder.Data(layouts[Half + k])), "IN " + k);
            }
        }, () => progress);
        return (allocated, elapsedMs);
    }

    /// <summary>Deterministic bytes that differ with the seed; every eighth sector zero, so reads get holes too.</summary>
    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (i >> 9) % 8 == 7 ? (byte)0 : (byte)((i * 31) + (seed * 7) + (i >> 9) + 1);
        }

        return b;
    }

    private readonly struct Context(QueueRig rig, ushort[] heads, byte** status, int[] seen)
    {
        public readonly SplitDriver Driver = rig.Driver;
        public readonly BlkQueue<FakeGuestMemory> Queue = rig.Queue;
        public readonly SplitQueue<FakeGuestMemory> Ring = rig.Ring;
        public readonly IoUring Uring = rig.Uring;
        public readonly ushort[] Heads = heads;
        public readonly byte** Status = status;
        public readonly ushort* UsedIdx = (ushort*)(rig.Ram.Host(rig.Driver.UsedIova) + 2);
        public readonly vring_used_elem* UsedRing = (vring_used_elem*)(rig.Ram.Host(rig.Driver.UsedIova) + 4);
        public readonly int[] Seen = seen;
    }

    /// <summary>
    /// The driver side with raw stores only (re-push the same heads, publish), the device side as the queue
    /// thread runs it: Process, Submit, Reap into a preallocated span, OnCompletion, PublishUsed, wait when idle.
    /// Connection completions (send, receive) go through OnCompletion like any other.
    /// </summary>
    /// <remarks>
    /// Compiled optimized from the start: at tier 0 this loop is moved to its OSR version while it runs,
    /// and with tiered PGO that transition now and then charges 24 bytes to this thread (seen in about one
    /// fresh test process in three; never with DOTNET_TC_OnStackReplacement=0 or DOTNET_TieredPGO=0). That is
    /// the JIT's, on the test's own loop: the product is Native AOT. What the loop calls still tiers as usual.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            if (c.Queue.Process(c.Heads.Length) != c.Heads.Length)
            {
                t.Failures++;
            }

            c.Uring.Submit();
            while ((ushort)(*c.UsedIdx - start) != c.Heads.Length)
            {
                if (c.Queue.InFlight == 0)
                {
                    t.Failures++; // nothing in flight and still not all used: give up on this batch
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
                c.Uring.Submit(); // what the completions queued: the next send, the next receive
            }

            // Every head exactly once, in whatever order the replies came.
            UsedRingAudit.Batch(ref t, c.UsedRing, QueueSize, start, *c.UsedIdx, c.Heads, c.Status, c.Seen, b + 1 + (batches << 16));
        }

        return t;
    }
}
