using System;
using System.Linq;
using VduseAot.Network.NvmeTcp;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Network.Tests;

/// <summary>
/// The device side over NVMe/TCP (SplitQueue + BlkQueue + BlkExecutor + NvmeTcpQueueIo on a real
/// io_uring and socket) must not allocate per request once the I/O queue is connected: capsules,
/// in-capsule and R2T writes, C2HData in pieces, digests. Only the queue thread counts.
/// </summary>
public sealed class NvmeAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4096u, false, 16_000)]  // in-capsule writes, one C2HData per read
    [InlineData(65536u, false, 3_200)]  // R2T + H2CData writes, reads in 4 PDUs
    [InlineData(65536u, true, 3_200)]   // the same with header and data digests
    public void Reads_and_writes_allocate_nothing_on_the_queue_thread(uint bytes, bool digests, int requests)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nvme-").FullName;
        var behaviour = new FakeNvmeBehaviour { DataPdus = 4, SuccessFlag = true, Reorder = true, R2TBytes = 32768, MaxH2CData = 16384, Cpda = 3 };
        var target = new FakeNvmeTarget(System.IO.Path.Combine(dir, "nvme.sock"), 4 << 20, behaviour);
        var options = new NvmeTcpOptions(target.Endpoint, "nqn.2026-12.test:disk", 1, "nqn.2026-12.test:host", Guid.NewGuid(), digests, digests);
        NvmeTcpBackend backend = NvmeTcpBackend.Open(options, false, 512, 1, NetworkAllocationLoop.QueueSize, 30, _ => { }, _ => { });

        // A failure or a hang leaves the backend and the target as they are: a queue may still be using them.
        (long allocated, long elapsedMs) = NetworkAllocationLoop.Measure(backend, target.Disk, bytes, requests,
            () => target.Connects.Count(c => c.Queue == 1));
        Assert.Empty(target.Errors);
        backend.Dispose();
        target.Dispose();
        System.IO.Directory.Delete(dir, recursive: true);

        output.WriteLine(requests + " requests of " + bytes + " bytes in " + elapsedMs + " ms, " + allocated + " bytes allocated on the queue thread");
        Assert.Equal(0L, allocated);
    }
}
