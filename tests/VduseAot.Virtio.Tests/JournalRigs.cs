using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// A journal region standing in for the MAP_SHARED state file: native memory that outlives every
/// queue and RingJournal object a test creates, so dropping those objects is a SIGKILL.
/// </summary>
internal sealed unsafe class JournalRegion : IDisposable
{
    public JournalRegion(ushort size)
    {
        Bytes = RingJournal.RegionBytes(size);
        Ptr = (byte*)NativeMemory.AllocZeroed((nuint)Bytes);
    }

    public byte* Ptr { get; }

    public int Bytes { get; }

    /// <summary>
    /// The header's avail word (see JournalWord). Tests save and restore it to simulate a crash
    /// between a pop's record store and its position store.
    /// </summary>
    public ulong AvailWord
    {
        get => Volatile.Read(ref ((JournalHeader*)Ptr)->AvailWord);
        set => Volatile.Write(ref ((JournalHeader*)Ptr)->AvailWord, value);
    }

    /// <summary>The header's used word (see JournalWord), for crashes inside EndPublishSplit.</summary>
    public ulong UsedWord
    {
        get => Volatile.Read(ref ((JournalHeader*)Ptr)->UsedWord);
        set => Volatile.Write(ref ((JournalHeader*)Ptr)->UsedWord, value);
    }

    public void Dispose() => NativeMemory.Free(Ptr);
}

/// <summary>A request the fake driver made: a tag the device reads and writable buffers it fills from the tag.</summary>
internal sealed record Req(ulong Tag, int Slot, Buf[] Bufs, uint WritableLen)
{
    public ushort Id { get; set; }
}

/// <summary>
/// Fixed per-request buffer areas (the property tests run for thousands of requests, so buffers are
/// recycled instead of bump-allocated). The first readable buffer holds an 8-byte tag; the device
/// writes a tag-derived pattern into the writable ones, so the driver can tell whether a completion
/// came from a walk of the right buffers, which also checks re-popped chains' segments.
/// </summary>
internal sealed unsafe class RequestPool
{
    private const ulong SlotBytes = 2048;
    private readonly GuestRam _ram;
    private readonly ulong _area;
    private readonly Stack<int> _free = new();
    private ulong _nextTag = 0x1000;

    public RequestPool(GuestRam ram, int slots)
    {
        _ram = ram;
        _area = ram.Alloc(SlotBytes * (ulong)slots, 4096);
        for (int i = slots - 1; i >= 0; i--)
        {
            _free.Push(i);
        }
    }

    /// <summary>A request with the tag buffer, <paramref name="extraReadable"/> more readable buffers, and writable buffers of the given lengths (each at most 256).</summary>
    public Req Make(int extraReadable, ReadOnlySpan<uint> writable)
    {
        int slot = _free.Pop();
        ulong at = _area + ((ulong)slot * SlotBytes);
        ulong tag = ++_nextTag;
        *(ulong*)_ram.Host(at) = tag;
        var bufs = new List<Buf> { new(at, 8, false) };
        for (int i = 0; i < extraReadable; i++)
        {
            bufs.Add(new Buf(at + 64 + (64 * (ulong)i), 32, false));
        }

        uint total = 0;
        ulong w = at + 512;
        foreach (uint len in writable)
        {
            _ram.Span(w, (int)len).Clear();
            bufs.Add(new Buf(w, len, true));
            w += 256;
            total += len;
        }

        return new Req(tag, slot, bufs.ToArray(), total);
    }

    /// <summary>What the device does with a popped chain: reads the tag, fills the writable segments; returns the tag.</summary>
    public static ulong Serve(DescriptorChain c)
    {
        Assert.Equal(ChainError.None, c.Error);
        Assert.True(c.ReadableCount > 0 && c.Readable[0].Length >= 8);
        ulong tag = *(ulong*)c.Readable[0].Host;
        int offset = 0;
        for (int s = 0; s < c.WritableCount; s++)
        {
            for (int i = 0; i < c.Writable[s].Length; i++)
            {
                c.Writable[s].Host[i] = Pattern(tag, offset++);
            }
        }

        return tag;
    }

    /// <summary>The driver's check of a used entry for <paramref name="r"/>: length and every byte written.</summary>
    public void Check(Req r, uint len)
    {
        Assert.Equal(r.WritableLen, len);
        int offset = 0;
        foreach (Buf b in r.Bufs)
        {
            if (!b.DeviceWrites)
            {
                continue;
            }

            Span<byte> data = _ram.Span(b.Iova, (int)b.Length);
            for (int i = 0; i < data.Length; i++)
            {
                Assert.True(Pattern(r.Tag, offset++) == data[i], "request " + r.Tag + " has wrong data at byte " + (offset - 1));
            }
        }
    }

    public void Release(Req r) => _free.Push(r.Slot);

    /// <summary>Host address and length of every segment, readable ones first, to compare a re-popped chain with the original pop.</summary>
    public static List<(nint Host, uint Length, bool Write)> Segments(DescriptorChain c)
    {
        var list = new List<(nint, uint, bool)>();
        for (int i = 0; i < c.ReadableCount; i++)
        {
            list.Add(((nint)c.Readable[i].Host, c.Readable[i].Length, false));
        }

        for (int i = 0; i < c.WritableCount; i++)
        {
            list.Add(((nint)c.Writable[i].Host, c.Writable[i].Length, true));
        }

        return list;
    }

    private static byte Pattern(ulong tag, int offset) => (byte)((tag * 131) + ((ulong)offset * 7) + 1);
}

/// <summary>A split ring with a journal: guest RAM and driver outlive <see cref="Crash"/>, the queue and RingJournal objects do not.</summary>
internal sealed unsafe class SplitJournalRig : IDisposable
{
    public SplitJournalRig(ushort size, ushort startIndex = 0)
    {
        Size = size;
        Ram = new GuestRam(8UL << 20);
        Driver = new SplitDriver(Ram, size);
        Driver.SkipTo(startIndex);
        Region = new JournalRegion(size);
        Requests = new RequestPool(Ram, size);
        Chain = new DescriptorChain(64);
        Queue = NewIncarnation();
        Assert.Null(Queue.Start(Driver.Rings, RingPosition.Split(startIndex)));
    }

    public ushort Size { get; }

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public JournalRegion Region { get; }

    public RequestPool Requests { get; }

    public DescriptorChain Chain { get; }

    public SplitQueue<FakeGuestMemory> Queue { get; private set; }

    public RingJournal Journal => Queue.Journal!;

    /// <summary>Requests the driver has outstanding, by head.</summary>
    public Dictionary<ushort, Req> Outstanding { get; } = new();

    /// <summary>used->idx in guest memory (set: simulates the device's store landing).</summary>
    public ushort GuestUsedIdx
    {
        get => Volatile.Read(ref *(ushort*)(Ram.Host(Driver.UsedIova) + 2));
        set => Volatile.Write(ref *(ushort*)(Ram.Host(Driver.UsedIova) + 2), value);
    }

    /// <summary>The process dies: a successor maps the same guest memory and state file and resumes. Returns Resume's error.</summary>
    public string? Crash()
    {
        Queue = NewIncarnation();
        return Queue.Resume(Driver.Rings);
    }

    /// <summary>Adds a request (unpublished) and returns it.</summary>
    public Req Add(int extraReadable, params uint[] writable)
    {
        Req r = Requests.Make(extraReadable, writable);
        r.Id = Driver.AddChain(r.Bufs);
        Outstanding.Add(r.Id, r);
        return r;
    }

    /// <summary>Pops one chain (asserting there is one), serves it and checks it is the request the driver made under that head.</summary>
    public DescriptorChain Pop()
    {
        Assert.True(Queue.TryPop(Chain), "expected a chain; broken: " + Queue.BrokenReason);
        Assert.True(Outstanding.TryGetValue(Chain.Head, out Req? r), "popped head " + Chain.Head + " the driver does not have outstanding");
        Assert.Equal(r!.Tag, RequestPool.Serve(Chain));
        Assert.Equal(r.WritableLen, Chain.WritableBytes);
        return Chain;
    }

    /// <summary>Everything the driver sees in the used ring, each checked against its request and retired; returns the heads in used order.</summary>
    public List<ushort> TakeUsed()
    {
        var heads = new List<ushort>();
        foreach (UsedEntry u in Driver.TakeUsed())
        {
            Assert.True(Outstanding.Remove((ushort)u.Id, out Req? r), "driver got head " + u.Id + " twice or never made it");
            Requests.Check(r!, u.Length);
            Requests.Release(r!);
            heads.Add((ushort)u.Id);
        }

        return heads;
    }

    public void Dispose()
    {
        Region.Dispose();
        Ram.Dispose();
    }

    private SplitQueue<FakeGuestMemory> NewIncarnation() =>
        new(Ram.Memory, Size) { Journal = new RingJournal(Region.Ptr, Size) };
}

/// <summary>A packed ring with a journal; like <see cref="SplitJournalRig"/>.</summary>
internal sealed unsafe class PackedJournalRig : IDisposable
{
    private const ushort AvailBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_AVAIL;
    private const ushort UsedBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_USED;

    public PackedJournalRig(ushort size, ushort startIndex = 0, bool startWrap = true)
    {
        Size = size;
        Ram = new GuestRam(16UL << 20);
        Driver = new PackedDriver(Ram, size);
        Driver.SkipTo(startIndex, startWrap);
        Region = new JournalRegion(size);
        Requests = new RequestPool(Ram, size);
        Chains = new DescriptorChain[size];
        for (int i = 0; i < size; i++)
        {
            Chains[i] = new DescriptorChain(64);
        }

        Queue = NewIncarnation();
        Assert.Null(Queue.Start(Driver.Rings, new RingPosition(startIndex, startWrap, startIndex, startWrap)));
    }

    public ushort Size { get; }

    public GuestRam Ram { get; }

    public PackedDriver Driver { get; }

    public JournalRegion Region { get; }

    public RequestPool Requests { get; }

    /// <summary>One chain object per possible in-flight chain (Complete needs the popped object).</summary>
    public DescriptorChain[] Chains { get; }

    public PackedQueue<FakeGuestMemory> Queue { get; private set; }

    public RingJournal Journal => Queue.Journal!;

    public Dictionary<ushort, Req> Outstanding { get; } = new();

    public string? Crash()
    {
        Queue = NewIncarnation();
        return Queue.Resume(Driver.Rings);
    }

    /// <summary>Adds a request as plain chained descriptors (one ring slot each) or as one indirect descriptor.</summary>
    public Req Add(bool indirect, int extraReadable, params uint[] writable)
    {
        Req r = Requests.Make(extraReadable, writable);
        r.Id = indirect ? Driver.AddIndirectChain(r.Bufs) : Driver.AddChain(r.Bufs);
        Outstanding.Add(r.Id, r);
        return r;
    }

    public DescriptorChain Pop(DescriptorChain into)
    {
        Assert.True(Queue.TryPop(into), "expected a chain; broken: " + Queue.BrokenReason);
        Assert.True(Outstanding.TryGetValue(into.Head, out Req? r), "popped id " + into.Head + " the driver does not have outstanding");
        Assert.Equal(r!.Tag, RequestPool.Serve(into));
        Assert.Equal(r.WritableLen, into.WritableBytes);
        return into;
    }

    /// <summary>
    /// What PackedQueue.Complete stores for <paramref name="id"/> at the current used position (id, len,
    /// then flags), without the journal's end record: the state a crash right after the flags store leaves.
    /// </summary>
    public void WriteUsedDescriptor(ushort id, uint len)
    {
        var d = (vring_packed_desc*)Ram.Host(Driver.RingIova) + Queue.NextUsedIndex;
        d->id = id;
        d->len = len;
        Volatile.Write(ref d->flags, Queue.UsedWrapCounter ? (ushort)(AvailBit | UsedBit) : (ushort)0);
    }

    public List<ushort> TakeUsed()
    {
        var ids = new List<ushort>();
        foreach (UsedEntry u in Driver.TakeUsed())
        {
            Assert.True(Outstanding.Remove((ushort)u.Id, out Req? r), "driver got id " + u.Id + " twice or never made it");
            Requests.Check(r!, u.Length);
            Requests.Release(r!);
            ids.Add((ushort)u.Id);
        }

        return ids;
    }

    /// <summary>(index, wrap) advanced by <paramref name="slots"/> ring slots.</summary>
    public (ushort Index, bool Wrap) Advance(ushort index, bool wrap, int slots)
    {
        int next = index + slots;
        return next >= Size ? ((ushort)(next - Size), !wrap) : ((ushort)next, wrap);
    }

    public void Dispose()
    {
        Region.Dispose();
        Ram.Dispose();
    }

    private PackedQueue<FakeGuestMemory> NewIncarnation() =>
        new(Ram.Memory, Size) { Indirect = true, EventIdx = true, Journal = new RingJournal(Region.Ptr, Size) };
}
