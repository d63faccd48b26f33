using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Block.Tests;

/// <summary>A temporary directory (under /tmp, ext4 on the test hosts) deleted with everything in it on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vduse-blk-");

    public string Path => _dir.FullName;

    public string PathOf(string name) => System.IO.Path.Combine(_dir.FullName, name);

    public void Dispose()
    {
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Guest RAM + fake driver + SplitQueue + BlkQueue over any backend, with a real io_uring driven the way
/// a queue thread drives it: Process, Submit / SubmitAndWait, Reap, OnCompletion, PublishUsed.
/// </summary>
internal sealed unsafe class FileRig : IDisposable
{
    private readonly io_uring_cqe[] _cqes = new io_uring_cqe[64];

    public FileRig(IBlockBackend backend, ushort size = 64, ulong ramBytes = 8UL << 20, string serial = "vduse-file-test")
    {
        Backend = backend;
        Ram = new GuestRam(ramBytes);
        Driver = new SplitDriver(Ram, size);
        Ring = Driver.CreateQueue();

        // The queue thread's ring, sized and configured as QueueWorker does.
        Uring = new IoUring(Math.Max(64u, Math.Min(4096u, 2u * size)), new IoUringOptions { SingleIssuer = true, CoopTaskrun = true });
        Executor = new BlkExecutor(backend, serial);
        Queue = new BlkQueue<FakeGuestMemory>(Ring, Executor, Uring);
        Builder = new BlkRequestBuilder(Ram, Driver);
    }

    /// <summary>Opens <paramref name="path"/> with <see cref="FileBackend.Open"/> and builds a rig over it.</summary>
    public static FileRig OpenFile(string path, ulong? size, bool direct = false, bool readOnly = false, uint logicalBlockSize = 512, ushort queueSize = 64)
    {
        FileBackend backend = FileBackend.Open(path, size, direct, readOnly, logicalBlockSize, out string? reason);
        Assert.Null(reason);
        return new FileRig(backend, queueSize);
    }

    public IBlockBackend Backend { get; }

    public FileBackend File => (FileBackend)Backend;

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public SplitQueue<FakeGuestMemory> Ring { get; }

    public IoUring Uring { get; }

    public BlkExecutor Executor { get; }

    public BlkQueue<FakeGuestMemory> Queue { get; }

    public BlkRequestBuilder Builder { get; }

    public BlkQueueStats Stats => Queue.Stats;

    /// <summary>Most requests in flight seen right after a Process call.</summary>
    public int PeakInFlight { get; private set; }

    /// <summary>Publishes, then pops, submits, reaps and completes until nothing is available or in flight.</summary>
    public List<UsedEntry> RunUntilIdle(int budget = int.MaxValue)
    {
        Driver.Publish();
        QueueThreadLoop.RunUntilIdle(Uring, Queue, Ring, _cqes, budget, () => PeakInFlight = Math.Max(PeakInFlight, Queue.InFlight));
        return Driver.TakeUsed();
    }

    /// <summary>Publishes, pops and starts what is available and submits it; completes nothing.</summary>
    public int StartAvailable()
    {
        Driver.Publish();
        int popped = Queue.Process(int.MaxValue);
        PeakInFlight = Math.Max(PeakInFlight, Queue.InFlight);
        Uring.Submit();
        return popped;
    }

    /// <summary>Waits until at least one CQE is there and returns it without completing anything.</summary>
    public io_uring_cqe WaitOneCqe()
    {
        Uring.SubmitAndWait(1);
        int n = Uring.Reap(_cqes.AsSpan(0, 1));
        Assert.Equal(1, n);
        return _cqes[0];
    }

    /// <summary>Hands a CQE to the queue as the queue thread does, submits what that started, and publishes.</summary>
    public void Complete(io_uring_cqe cqe)
    {
        Queue.OnCompletion(cqe.user_data, cqe.res);
        Uring.Submit();
        Ring.PublishUsed();
    }

    /// <summary>Reaps every completion waiting and passes it to the queue; returns how many.</summary>
    public int ReapAndComplete() => QueueThreadLoop.ReapAndComplete(Uring, Queue, _cqes);

    /// <summary>Runs one request end to end and returns its used entry.</summary>
    public UsedEntry RunOne(BlkRequestLayout r)
    {
        List<UsedEntry> used = RunUntilIdle();
        Assert.Single(used);
        Assert.Equal(r.Head, (ushort)used[0].Id);
        return used[0];
    }

    public ulong Buffer(ulong bytes, ulong align = 16) => Ram.Alloc(bytes, align);

    public void Fill(ulong iova, int length, int seed) => Pattern(length, seed).CopyTo(Ram.Span(iova, length));

    /// <summary>Deterministic bytes that differ with the seed and along the buffer (never all zero).</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)((i * 31) + (seed * 7) + (i >> 9) + 1);
        }

        return b;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="sector"/> through the queue and checks it succeeded.</summary>
    public void WriteSectors(ulong sector, byte[] data, int pieces = 1)
    {
        BlkRequestLayout w = Builder.Add(VirtioBlk.VIRTIO_BLK_T_OUT, sector, (uint)data.Length, pieces);
        data.CopyTo(Builder.Data(w));
        UsedEntry u = RunOne(w);
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, Builder.Status(w));
        Assert.Equal(1u, u.Length);
    }

    /// <summary>Reads <paramref name="bytes"/> at <paramref name="sector"/> through the queue and checks it succeeded.</summary>
    public byte[] ReadSectors(ulong sector, uint bytes, int pieces = 1)
    {
        BlkRequestLayout r = Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, sector, bytes, pieces);
        UsedEntry u = RunOne(r);
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, Builder.Status(r));
        Assert.Equal(bytes + 1, u.Length);
        return Builder.Data(r).ToArray();
    }

    /// <summary>Runs one request with no data (FLUSH) and returns its status.</summary>
    public byte Flush()
    {
        BlkRequestLayout f = Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        UsedEntry u = RunOne(f);
        Assert.Equal(1u, u.Length);
        return Builder.Status(f);
    }

    /// <summary>st_blocks (512-byte units allocated) of the backend's open file.</summary>
    public long AllocatedBlocks()
    {
        stat st;
        Assert.Equal(0, LibC.fstat(File.Fd, &st));

        // The reduced struct stat keeps the kernel's 144-byte x86-64 layout; st_blocks is at offset 64.
        return *(long*)((byte*)&st + 64);
    }

    public void Dispose()
    {
        // A failed test may leave requests in the kernel's hands: their buffers are in guest RAM.
        for (int i = 0; Queue.InFlight > 0 && i < 10_000; i++)
        {
            Uring.SubmitAndWait(1);
            ReapAndComplete();
        }

        Queue.Dispose();
        Uring.Dispose();
        Backend.Dispose();
        Ram.Dispose();
    }
}
