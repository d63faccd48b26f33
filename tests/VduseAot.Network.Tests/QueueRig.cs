using System;
using System.Collections.Generic;
using VduseAot.Block;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// One queue of a device over a network backend opened by the test (with NBD several of them share one
/// connection when the server lacks NBD_FLAG_CAN_MULTI_CONN): its own guest RAM, driver, split ring,
/// io_uring and BlkQueue. Made, driven and disposed on its queue thread (the io_uring is SINGLE_ISSUER).
/// </summary>
internal sealed class QueueRig : IDisposable
{
    private readonly io_uring_cqe[] _cqes = new io_uring_cqe[64];

    public QueueRig(IBlockBackend backend, ushort queueSize = 256)
    {
        Ram = new GuestRam(16UL << 20);
        Driver = new SplitDriver(Ram, queueSize);
        Ring = Driver.CreateQueue();
        Uring = new IoUring(256, new IoUringOptions { SingleIssuer = true, CoopTaskrun = true });
        Queue = new BlkQueue<FakeGuestMemory>(Ring, new BlkExecutor(backend, "net-test"), Uring);
        Builder = new BlkRequestBuilder(Ram, Driver);
    }

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public SplitQueue<FakeGuestMemory> Ring { get; }

    public IoUring Uring { get; }

    public BlkQueue<FakeGuestMemory> Queue { get; }

    public BlkRequestBuilder Builder { get; }

    /// <summary>
    /// Publishes what was added and serves one pass as the queue thread does, first waiting for a
    /// completion when requests are in flight and nothing is ready; returns the used entries that pass
    /// made (maybe none: a completion can be the connection's own).
    /// </summary>
    public List<UsedEntry> Step()
    {
        Driver.Publish();
        QueueThreadLoop.Pass(Uring, Queue, Ring, _cqes);
        return Driver.TakeUsed();
    }

    public void Dispose()
    {
        Queue.Dispose();
        Uring.Dispose();
        Ram.Dispose();
    }
}
