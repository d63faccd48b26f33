using System;
using System.Collections.Generic;
using VduseAot.Testing;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>Guest RAM + fake driver + SplitQueue + BlkQueue over a RamBackend.</summary>
internal sealed unsafe class BlkRig : IDisposable
{
    public const ulong DefaultCapacity = 1UL << 20; // 2048 sectors

    public BlkRig(ushort size = 64, ulong capacity = DefaultCapacity, bool readOnly = false, string serial = "vduse-test-serial", ulong ramBytes = 8UL << 20,
        RamBackend? backend = null, BlkSlotTable? slots = null)
    {
        Ram = new GuestRam(ramBytes);
        Driver = new SplitDriver(Ram, size);
        Ring = Driver.CreateQueue();
        Backend = backend ?? new RamBackend(capacity, readOnly);
        Executor = new BlkExecutor(Backend, serial);
        Queue = new BlkQueue<FakeGuestMemory>(Ring, Executor, slots: slots);
        Builder = new BlkRequestBuilder(Ram, Driver);
    }

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public SplitQueue<FakeGuestMemory> Ring { get; }

    public RamBackend Backend { get; }

    public BlkExecutor Executor { get; }

    public BlkQueue<FakeGuestMemory> Queue { get; }

    public BlkRequestBuilder Builder { get; }

    public BlkQueueStats Stats => Queue.Stats;

    /// <summary>Publishes, processes everything and returns the used entries in order.</summary>
    public List<UsedEntry> Run()
    {
        Driver.Publish();
        Queue.Process(int.MaxValue);
        return Driver.TakeUsed();
    }

    /// <summary>Runs one request end to end and returns its used entry.</summary>
    public UsedEntry RunOne(BlkRequestLayout r)
    {
        List<UsedEntry> used = Run();
        Assert.Single(used);
        Assert.Equal(r.Head, (ushort)used[0].Id);
        return used[0];
    }

    public ulong Buffer(ulong bytes, ulong align = 16) => Ram.Alloc(bytes, align);

    public void Fill(ulong iova, int length, int seed)
    {
        Span<byte> s = Ram.Span(iova, length);
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (byte)((i * 31) + (seed * 7) + (i >> 9));
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="sector"/> through the queue and checks it succeeded.</summary>
    public void WriteSectors(ulong sector, byte[] data)
    {
        BlkRequestLayout w = Builder.Add(VduseAot.Interop.VirtioBlk.VIRTIO_BLK_T_OUT, sector, (uint)data.Length);
        data.CopyTo(Builder.Data(w));
        RunOne(w);
        Assert.Equal(0, Builder.Status(w));
    }

    /// <summary>Reads <paramref name="bytes"/> at <paramref name="sector"/> through the queue.</summary>
    public byte[] ReadSectors(ulong sector, uint bytes)
    {
        BlkRequestLayout r = Builder.Add(VduseAot.Interop.VirtioBlk.VIRTIO_BLK_T_IN, sector, bytes);
        UsedEntry u = RunOne(r);
        Assert.Equal(0, Builder.Status(r));
        Assert.Equal(bytes + 1, u.Length);
        return Builder.Data(r).ToArray();
    }

    public void Dispose()
    {
        Queue.Dispose();
        Backend.Dispose();
        Ram.Dispose();
    }
}
