using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Testing;

/// <summary>One raw packed descriptor as the driver writes it (VRING_DESC_F_* flags; the AVAIL/USED bits are added by the driver).</summary>
public readonly record struct RawDesc(ulong Addr, uint Length, ushort Flags);

/// <summary>
/// The driver side of a packed virtqueue (virtio 1.2 section 2.8) in plain memory: lays out the descriptor
/// ring and both event suppression areas, adds chains (valid or deliberately broken) under buffer ids taken
/// from a free list, publishes them the way the spec asks (the first descriptor's flags of the first chain
/// last, with release) and reads used descriptors back, checking every id. Allocation-free after
/// construction except for <see cref="TakeUsed()"/> (use the span overload on hot paths).
/// </summary>
public sealed unsafe class PackedDriver
{
    private const ushort AvailBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_AVAIL;
    private const ushort UsedBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_USED;

    private readonly GuestRam _ram;
    private readonly ushort[] _freeIds;
    private int _freeIdCount;
    private readonly ushort[] _slotsOf;          // ring slots of the chain under an id; 0: id not outstanding
    private readonly ulong[] _tables;            // lazily allocated indirect table per id (Size entries)
    private readonly ushort[] _pendingIndex;     // heads written but not yet published
    private readonly ushort[] _pendingFlags;
    private int _pendingCount;
    private ushort _nextAvail;
    private bool _availWrap = true;
    private ushort _nextUsed;
    private bool _usedWrap = true;
    private int _slotsInUse;

    /// <summary>Lays out a ring of <paramref name="size"/> descriptors and both event areas in <paramref name="ram"/>.</summary>
    public PackedDriver(GuestRam ram, ushort size)
    {
        ArgumentNullException.ThrowIfNull(ram);
        _ram = ram;
        Size = size;
        RingIova = ram.Alloc(PackedRingLayout.RingBytes(size), 16);
        DriverEventIova = ram.Alloc(PackedRingLayout.EventAreaBytes, 4);
        DeviceEventIova = ram.Alloc(PackedRingLayout.EventAreaBytes, 4);
        _freeIds = new ushort[size];
        _slotsOf = new ushort[size];
        _tables = new ulong[size];
        _pendingIndex = new ushort[size];
        _pendingFlags = new ushort[size];

        // Hand out ids in a scrambled order so nothing can depend on ids being ring positions.
        for (int i = 0; i < size; i++)
        {
            _freeIds[i] = (ushort)((i * 5 + 3) % size);
        }

        if (size > 1 && new HashSet<ushort>(_freeIds).Count != size)
        {
            for (int i = 0; i < size; i++)
            {
                _freeIds[i] = (ushort)(size - 1 - i);
            }
        }

        _freeIdCount = size;
    }

    /// <summary>Ring size.</summary>
    public ushort Size { get; }

    /// <summary>Descriptor ring IOVA.</summary>
    public ulong RingIova { get; }

    /// <summary>Driver event suppression area IOVA (written by the driver, read by the device).</summary>
    public ulong DriverEventIova { get; }

    /// <summary>Device event suppression area IOVA (written by the device, read by the driver).</summary>
    public ulong DeviceEventIova { get; }

    /// <summary>Ring slots not used by any outstanding chain.</summary>
    public int FreeDescriptors => Size - _slotsInUse;

    /// <summary>The three ring areas, as the device is given them.</summary>
    public RingAddresses Rings => new(RingIova, DriverEventIova, DeviceEventIova);

    /// <summary>
    /// A device-side queue over this ring, started fresh (both wrap counters set) or at
    /// <paramref name="position"/> (virtio-queue's mock <c>create_queue</c>); throws when the ring does not map.
    /// </summary>
    public PackedQueue<FakeGuestMemory> CreateQueue(bool indirect = false, bool eventIdx = false, RingJournal? journal = null, RingPosition? position = null)
    {
        var queue = new PackedQueue<FakeGuestMemory>(_ram.Memory, Size) { Indirect = indirect, EventIdx = eventIdx, Journal = journal };
        string? error = queue.Start(Rings, position ?? RingPosition.FreshPacked);
        return error == null ? queue : throw new InvalidOperationException("the packed queue did not start: " + error);
    }

    /// <summary>Buffer ids handed out and not yet returned.</summary>
    public int Outstanding => Size - _freeIdCount;

    /// <summary>Next ring position the driver will write.</summary>
    public ushort NextAvail => _nextAvail;

    /// <summary>Driver ring wrap counter.</summary>
    public bool AvailWrap => _availWrap;

    /// <summary>Next ring position the driver reads a used descriptor from.</summary>
    public ushort NextUsed => _nextUsed;

    /// <summary>Driver used wrap counter.</summary>
    public bool UsedWrap => _usedWrap;

    /// <summary>Heads written and not yet published.</summary>
    public int Pending => _pendingCount;

    private vring_packed_desc* Ring => (vring_packed_desc*)_ram.Host(RingIova);

    private vring_packed_desc_event* DriverEvent => (vring_packed_desc_event*)_ram.Host(DriverEventIova);

    private vring_packed_desc_event* DeviceEvent => (vring_packed_desc_event*)_ram.Host(DeviceEventIova);

    /// <summary>True when <paramref name="id"/> is outstanding.</summary>
    public bool IsOutstanding(ushort id) => id < Size && _slotsOf[id] != 0;

    /// <summary>Ring slots of outstanding <paramref name="id"/>.</summary>
    public int SlotsOf(ushort id) => _slotsOf[id];

    /// <summary>The descriptor at ring position <paramref name="index"/> as it is in memory now.</summary>
    public vring_packed_desc ReadDescriptor(ushort index)
    {
        vring_packed_desc d = Ring[index];
        d.flags = Volatile.Read(ref Ring[index].flags);
        return d;
    }

    /// <summary>Adds a well-formed chain of <paramref name="buffers"/> (unpublished). Returns its buffer id.</summary>
    public ushort AddChain(params ReadOnlySpan<Buf> buffers)
    {
        if (buffers.Length == 0)
        {
            throw new InvalidOperationException("a chain needs at least one buffer");
        }

        Span<RawDesc> raw = buffers.Length <= 64 ? stackalloc RawDesc[buffers.Length] : new RawDesc[buffers.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((last ? 0 : VirtioConstants.VRING_DESC_F_NEXT) | (buffers[i].DeviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : 0));
            raw[i] = new RawDesc(buffers[i].Iova, buffers[i].Length, flags);
        }

        return AddRaw(raw);
    }

    /// <summary>
    /// Writes <paramref name="descriptors"/> as they are (NEXT and all) into the next ring slots under a new
    /// buffer id, stored in the last descriptor (the others get a different, wrong id so a device that reads
    /// the wrong one is caught). Unpublished. Returns the id.
    /// </summary>
    public ushort AddRaw(params ReadOnlySpan<RawDesc> descriptors)
    {
        if (descriptors.Length == 0 || descriptors.Length > FreeDescriptors || _freeIdCount == 0)
        {
            throw new InvalidOperationException("no room for a chain of " + descriptors.Length + " descriptors");
        }

        ushort id = _freeIds[--_freeIdCount];
        _slotsOf[id] = (ushort)descriptors.Length;
        _slotsInUse += descriptors.Length;
        ushort head = _nextAvail;
        ushort headFlags = 0;
        for (int i = 0; i < descriptors.Length; i++)
        {
            bool last = i == descriptors.Length - 1;
            ushort flags = (ushort)(descriptors[i].Flags | (_availWrap ? AvailBit : UsedBit));
            vring_packed_desc* d = &Ring[_nextAvail];
            d->addr = descriptors[i].Addr;
            d->len = descriptors[i].Length;
            d->id = last ? id : (ushort)(id ^ 0x5a5a);
            if (i == 0)
            {
                headFlags = flags;
            }
            else
            {
                // Later descriptors carry the wrap counter of their own position (it flips inside a
                // chain that crosses the end of the ring).
                Volatile.Write(ref d->flags, flags);
            }

            if (++_nextAvail == Size)
            {
                _nextAvail = 0;
                _availWrap = !_availWrap;
            }
        }

        _pendingIndex[_pendingCount] = head;
        _pendingFlags[_pendingCount] = headFlags;
        _pendingCount++;
        return id;
    }

    /// <summary>The indirect table area reserved for <paramref name="id"/> (room for Size entries).</summary>
    public ulong TableOf(ushort id)
    {
        if (_tables[id] == 0)
        {
            _tables[id] = _ram.Alloc(16UL * Size, 16);
        }

        return _tables[id];
    }

    /// <summary>Adds one VRING_DESC_F_INDIRECT descriptor whose table lists <paramref name="buffers"/> (unpublished). Returns the id.</summary>
    public ushort AddIndirectChain(params ReadOnlySpan<Buf> buffers)
    {
        if (buffers.Length == 0 || buffers.Length > Size || _freeIdCount == 0)
        {
            throw new InvalidOperationException("bad indirect chain of " + buffers.Length);
        }

        // The id the next AddRaw hands out, so its own table can be filled first.
        ushort id = _freeIds[_freeIdCount - 1];
        ulong table = TableOf(id);
        for (int i = 0; i < buffers.Length; i++)
        {
            WriteTableEntry(table, i, buffers[i].Iova, buffers[i].Length, buffers[i].DeviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : (ushort)0);
        }

        ushort got = AddRaw(new RawDesc(table, 16u * (uint)buffers.Length, VirtioConstants.VRING_DESC_F_INDIRECT));
        Assert(got == id);
        return id;
    }

    /// <summary>Writes one raw entry of an indirect table (flags as given).</summary>
    public void WriteTableEntry(ulong tableIova, int index, ulong addr, uint length, ushort flags)
    {
        Unsafe.WriteUnaligned(_ram.Host(tableIova + (16UL * (ulong)index)), new vring_packed_desc { addr = addr, len = length, id = 0, flags = flags });
    }

    /// <summary>
    /// Makes every chain added since the last call available: heads are flipped in reverse order, so the
    /// first chain's head, which the device polls, goes last (spec 2.8.21); each store is a release.
    /// </summary>
    public void Publish()
    {
        for (int i = _pendingCount - 1; i >= 0; i--)
        {
            Volatile.Write(ref Ring[_pendingIndex[i]].flags, _pendingFlags[i]);
        }

        _pendingCount = 0;
    }

    /// <summary>Reads every new used descriptor into <paramref name="into"/> (throws when it is too small); returns how many.</summary>
    public int TakeUsed(Span<UsedEntry> into)
    {
        int n = 0;
        while (true)
        {
            // Acquire: id and len were written before the flags.
            ushort flags = Volatile.Read(ref Ring[_nextUsed].flags);
            bool avail = (flags & AvailBit) != 0;
            bool used = (flags & UsedBit) != 0;
            if (avail != used || used != _usedWrap)
            {
                return n;
            }

            vring_packed_desc d = Ring[_nextUsed];
            if (d.id >= Size || _slotsOf[d.id] == 0)
            {
                throw new InvalidOperationException("device returned id " + d.id + " that is not outstanding (at " + _nextUsed + ")");
            }

            if (n == into.Length)
            {
                throw new InvalidOperationException("more used descriptors than room");
            }

            int slots = _slotsOf[d.id];
            _slotsOf[d.id] = 0;
            _slotsInUse -= slots;
            _freeIds[_freeIdCount++] = d.id;
            int next = _nextUsed + slots;
            if (next >= Size)
            {
                next -= Size;
                _usedWrap = !_usedWrap;
            }

            _nextUsed = (ushort)next;
            into[n++] = new UsedEntry(d.id, d.len);
        }
    }

    /// <summary>Reads every new used descriptor and frees its id and slots. Throws on an id that is not outstanding.</summary>
    public List<UsedEntry> TakeUsed()
    {
        Span<UsedEntry> buf = new UsedEntry[Size];
        int n = TakeUsed(buf);
        return new List<UsedEntry>(buf.Slice(0, n).ToArray());
    }

    /// <summary>Writes the driver event suppression area (off_wrap first, then flags).</summary>
    public void SetDriverEvent(ushort flags, ushort offWrap = 0)
    {
        Volatile.Write(ref DriverEvent->off_wrap, offWrap);
        Volatile.Write(ref DriverEvent->flags, flags);
    }

    /// <summary>VRING_PACKED_EVENT_FLAG_ENABLE.</summary>
    public void EnableInterrupts() => SetDriverEvent(VirtioConstants.VRING_PACKED_EVENT_FLAG_ENABLE);

    /// <summary>VRING_PACKED_EVENT_FLAG_DISABLE.</summary>
    public void DisableInterrupts() => SetDriverEvent(VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE);

    /// <summary>VRING_PACKED_EVENT_FLAG_DESC: interrupt once the used descriptor at <paramref name="offset"/> in the lap with wrap counter <paramref name="wrap"/> is written.</summary>
    public void InterruptAt(ushort offset, bool wrap) =>
        SetDriverEvent(VirtioConstants.VRING_PACKED_EVENT_FLAG_DESC, OffWrap(offset, wrap));

    /// <summary>Interrupt when the used descriptor <paramref name="ahead"/> positions after the driver's next used position is written (as Linux's enable_cb / enable_cb_delayed do).</summary>
    public void InterruptAfter(int ahead)
    {
        int pos = _nextUsed + ahead;
        bool wrap = _usedWrap;
        while (pos >= Size)
        {
            pos -= Size;
            wrap = !wrap;
        }

        InterruptAt((ushort)pos, wrap);
    }

    /// <summary>off_wrap encoding.</summary>
    public static ushort OffWrap(ushort offset, bool wrap) => (ushort)(offset | (wrap ? 1 << VirtioConstants.VRING_PACKED_EVENT_F_WRAP_CTR : 0));

    /// <summary>Device event area flags (VRING_PACKED_EVENT_FLAG_*).</summary>
    public ushort DeviceEventFlags => Volatile.Read(ref DeviceEvent->flags);

    /// <summary>Device event area off_wrap.</summary>
    public ushort DeviceEventOffWrap => Volatile.Read(ref DeviceEvent->off_wrap);

    /// <summary>Writes the device event area (to preset it in tests).</summary>
    public void SetDeviceEvent(ushort flags, ushort offWrap)
    {
        DeviceEvent->off_wrap = offWrap;
        DeviceEvent->flags = flags;
    }

    /// <summary>
    /// Moves an idle driver to ring position <paramref name="index"/> with wrap counter <paramref name="wrap"/>
    /// for both directions, and rewrites every descriptor's flags as a driver that got there by traffic would
    /// have left them (used in the current lap before <paramref name="index"/>, in the previous lap from it on).
    /// Start the device with (index, wrap, index, wrap) afterwards.
    /// </summary>
    public void SkipTo(ushort index, bool wrap)
    {
        if (Outstanding != 0 || _pendingCount != 0 || index >= Size)
        {
            throw new InvalidOperationException("the ring is not idle");
        }

        for (int i = 0; i < Size; i++)
        {
            bool lapWrap = i < index ? wrap : !wrap;
            Ring[i] = new vring_packed_desc { flags = lapWrap ? (ushort)(AvailBit | UsedBit) : (ushort)0 };
        }

        _nextAvail = index;
        _nextUsed = index;
        _availWrap = wrap;
        _usedWrap = wrap;
    }

    private static void Assert(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("driver bookkeeping broken");
        }
    }
}
