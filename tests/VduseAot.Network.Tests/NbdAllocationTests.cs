using System;
using System.Runtime.CompilerServices;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Network.Nbd;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;
using Xunit.Abstractions;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// The device side over NBD (SplitQueue + BlkQueue + BlkExecutor + NbdQueueIo on a real io_uring and
/// socket, or NbdForwardQueueIo to a shared connection), driven as a queue thread drives it, must not
/// allocate per request once the connection is up. Only the queue thread counts: the fake server, the
/// connector and the shared connection's thread run on threads of their own.
/// </summary>
public sealed unsafe class NbdAllocationTests(ITestOutputHelper output)
{
    private const ushort QueueSize = 256;
    private const int Batch = 32;         // 16 OUT + 16 IN, 2 data descriptors each
    private const int Half = Batch / 2;
    private const int WarmBatches = 20;   // 640 requests after the connection came up
    private const ulong ReadArea = 4096;  // sectors the INs read (2 MiB in); the OUTs write from sector 0

    [Theory]
    [InlineData(4096u, true, false, false, 16_000)]
    [InlineData(65536u, true, false, false, 3_200)]
    [InlineData(4096u, true, true, false, 16_000)]
    [InlineData(65536u, true, true, false, 3_200)]
    [InlineData(65536u, false, false, false, 3_200)] // simple replies: each read's data straight into the guest
    [InlineData(4096u, true, false, true, 16_000)]   // the queue's side of a shared connection: lanes and eventfds
    public void Reads_and_writes_through_reordered_replies_allocate_nothing_on_the_queue_thread(uint bytes, bool structured, bool extended, bool shared,
        int requests)
    {
        string progress = "starting";
        long allocated = -1;
        long elapsedMs = 0;
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;

        // Replies shuffled within a window of 4; structured ones split reads into data chunks and holes.
        // Without NBD_FLAG_CAN_MULTI_CONN the two queues share a connection (only the first is driven).
        var behaviour = new FakeNbdBehaviour
        {
            OfferStructuredReplies = structured,
            OfferExtendedHeaders = extended,
            ReorderWindow = 4,
            SplitReads = true,
            Flags = shared ? (ushort)(NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_SEND_FLUSH) : new FakeNbdBehaviour().Flags,
        };
        var server = new FakeNbdServer(System.IO.Path.Combine(dir, "nbd.sock"), 4 << 20, behaviour);
        NbdBackend backend = NbdBackend.Open(server.Uri, false, 512, shared ? 2 : 1, QueueSize, 30, _ => { }, out _);
        Assert.Equal(shared, backend.SharedConnection);

        // A failure or a hang leaves the backend and the server as they are: a queue may still be using them.
        OwnThread.Run(TimeSpan.FromSeconds(120), () =>
        {
            using var rig = new NbdQueueRig(backend, QueueSize);
            byte[] readArea = Pattern(Half * (int)bytes, 50);
            readArea.CopyTo(server.Disk, (int)(ReadArea * 512));
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
            Assert.Equal(1, server.Connections - 1); // the probe, then one connection throughout
            Assert.Equal(0, rig.Queue.InFlight);

            // The data really moved: the server holds what the OUTs wrote, the INs hold what it had.
            for (int k = 0; k < Half; k++)
            {
                Assert.True(Pattern((int)bytes, 200 + k).AsSpan().SequenceEqual(server.Disk.AsSpan(k * (int)bytes, (int)bytes)), "OUT " + k);
                Assert.True(readArea.AsSpan(k * (int)bytes, (int)bytes).SequenceEqual(rig.Builder.Data(layouts[Half + k])), "IN " + k);
            }
        }, () => progress);
        backend.Dispose();
        server.Dispose();
        System.IO.Directory.Delete(dir, recursive: true);

        output.WriteLine(requests + " requests of " + bytes + " bytes in " + elapsedMs + " ms, " + allocated + " bytes allocated on the queue thread");
        Assert.Equal(0L, allocated);
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

    private readonly struct Context(NbdQueueRig rig, ushort[] heads, byte** status, int[] seen)
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
