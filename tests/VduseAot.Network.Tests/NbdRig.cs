using System;
using System.Collections.Generic;
using VduseAot.Block;
using VduseAot.Network.Nbd;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// A fake NBD server, an <see cref="NbdBackend"/> on it, and one queue driven as a queue thread drives
/// it: guest RAM, fake driver, split ring, BlkQueue, a real io_uring for the socket.
/// </summary>
internal sealed class NbdRig : IDisposable
{
    private readonly io_uring_cqe[] _cqes = new io_uring_cqe[64];
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;
    private readonly NbdQueueRig _queue;

    public NbdRig(ulong size = 4 << 20, FakeNbdBehaviour? behaviour = null, int reconnectTimeoutSeconds = 30, ushort queueSize = 256)
    {
        Server = new FakeNbdServer(System.IO.Path.Combine(_dir, "nbd.sock"), size, behaviour);
        Backend = NbdBackend.Open(Server.Uri, readOnly: false, 512, 1, queueSize, reconnectTimeoutSeconds, Log, out string? reason);
        Assert.Null(reason);
        _queue = new NbdQueueRig(Backend, queueSize);
    }

    public FakeNbdServer Server { get; }

    public NbdBackend Backend { get; }

    public List<string> Logged { get; } = new();

    private void Log(string message)
    {
        lock (Logged)
        {
            Logged.Add(message);
        }
    }

    public GuestRam Ram => _queue.Ram;

    public SplitDriver Driver => _queue.Driver;

    public SplitQueue<FakeGuestMemory> Ring => _queue.Ring;

    public IoUring Uring => _queue.Uring;

    public BlkQueue<FakeGuestMemory> Queue => _queue.Queue;

    public BlkRequestBuilder Builder => _queue.Builder;

    /// <summary>Publishes, then serves as the queue thread does until nothing is available or in flight.</summary>
    public List<UsedEntry> RunUntilIdle()
    {
        Driver.Publish();
        QueueThreadLoop.RunUntilIdle(Uring, Queue, Ring, _cqes);
        return Driver.TakeUsed();
    }

    public void Dispose()
    {
        _queue.Dispose();
        Backend.Dispose();
        Server.Dispose();
        System.IO.Directory.Delete(_dir, recursive: true);
    }
}
