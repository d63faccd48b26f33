using System;
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
public sealed class NbdAllocationTests(ITestOutputHelper output)
{
    private const ushort QueueSize = NetworkAllocationLoop.QueueSize;

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
        (long allocated, long elapsedMs) = NetworkAllocationLoop.Measure(backend, server.Disk, bytes, requests, () => server.Connections - 1);
        backend.Dispose();
        server.Dispose();
        System.IO.Directory.Delete(dir, recursive: true);

        output.WriteLine(requests + " requests of " + bytes + " bytes in " + elapsedMs + " ms, " + allocated + " bytes allocated on the queue thread");
        Assert.Equal(0L, allocated);
    }
}
