using System;
using System.Collections.Generic;
using VduseAot.Block;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// A fake server in a temporary directory, a network backend on it, and one queue driven as a queue
/// thread drives it (<see cref="QueueRig"/>); what the backend logs is kept.
/// </summary>
internal abstract class BackendRig : IDisposable
{
    private readonly io_uring_cqe[] _cqes = new io_uring_cqe[64];
    private QueueRig _queue = null!;

    protected BackendRig(string prefix) => Dir = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Where the server's socket lives.</summary>
    protected string Dir { get; }

    public List<string> Logged { get; } = new();

    /// <summary>Called by the derived constructor once its backend is open.</summary>
    protected void StartQueue(IBlockBackend backend, ushort queueSize) => _queue = new QueueRig(backend, queueSize);

    /// <summary>True once a line the backend logged (on any thread) matches <paramref name="match"/>.</summary>
    public bool HasLogged(Func<string, bool> match)
    {
        lock (Logged)
        {
            return Logged.Exists(l => match(l));
        }
    }

    protected void Log(string message)
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

    /// <summary>Closes the backend and the server (the queue is closed first).</summary>
    protected abstract void CloseBackendAndServer();

    public void Dispose()
    {
        _queue?.Dispose();
        CloseBackendAndServer();
        System.IO.Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
