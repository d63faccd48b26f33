using System.Runtime.CompilerServices;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Virtio;

/// <summary>
/// Device side of a packed virtqueue (virtio 1.2 section 2.8): one descriptor ring that the driver
/// marks available and the device marks used, with wrap counters, buffer ids, and event suppression
/// areas in both directions. Owned by one thread; no locks.
/// </summary>
public sealed unsafe class PackedQueue<TMem> : IDeviceQueue
    where TMem : struct, IGuestMemory
{
    private const ushort AvailBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_AVAIL;
    private const ushort UsedBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_USED;
    private TMem _memory;
    private vring_packed_desc* _ring;
    private vring_packed_desc_event* _driverEvent;
    private vring_packed_desc_event* _deviceEvent;
    private ushort _nextAvail;
    private bool _availWrap = true;
    private ushort _nextUsed;
    private bool _usedWrap = true;
    private ushort _signalledUsed;
    private bool _signalledWrap = true;
    private ushort[] _recovered = [];
    private int _recoveredNext;
    private vring_packed_desc[] _recoveredDescriptors = [];

    /// <summary>Creates a stopped queue of <paramref name="size"/> entries (1 to 32768; packed rings need no power of two).</summary>
    public PackedQueue(TMem memory, ushort size)
    {
        if (size == 0 || size > 32768)
        {
            throw new System.ArgumentOutOfRangeException(nameof(size), "queue size must be 1 to 32768");
        }

        _memory = memory;
        Size = size;
    }

    /// <inheritdoc />
    public ushort Size { get; }

    /// <inheritdoc />
    public string? BrokenReason { get; private set; }

    /// <inheritdoc />
    public ushort LastAvailIndex => _nextAvail;

    /// <summary>The avail wrap counter (GET_VQ_STATE).</summary>
    public bool AvailWrapCounter => _availWrap;

    /// <inheritdoc />
    public ushort NextUsedIndex => _nextUsed;

    /// <inheritdoc />
    public ulong CompletedTotal { get; private set; }

    /// <summary>The used wrap counter (GET_VQ_STATE).</summary>
    public bool UsedWrapCounter => _usedWrap;

    /// <summary>VIRTIO_RING_F_INDIRECT_DESC was negotiated.</summary>
    public bool Indirect { get; set; }

    /// <summary>VIRTIO_RING_F_EVENT_IDX was negotiated: VRING_PACKED_EVENT_FLAG_DESC may be used.</summary>
    public bool EventIdx { get; set; }

    /// <summary>
    /// Translates the descriptor ring and both event areas and sets the starting state (a fresh ring
    /// starts at index 0 with both wrap counters set). Returns an error text when an area is unmapped.
    /// </summary>
    public string? Start(ulong ringIova, ulong driverEventIova, ulong deviceEventIova,
        ushort availIndex, bool availWrap, ushort usedIndex, bool usedWrap)
    {
        string? error = MapRings(ringIova, driverEventIova, deviceEventIova) ?? SetPositions(availIndex, availWrap, usedIndex, usedWrap);
        if (error == null)
        {
            Journal?.Reset(true, availIndex, availWrap, usedIndex, usedWrap);
        }

        return error;
    }

    /// <summary>
    /// Takes over a running ring from a predecessor's <see cref="Journal"/>: settles the completion it
    /// was writing (the slot's USED bit tells whether the flags store landed: the driver can only
    /// rewrite that slot after seeing it), continues from its positions and pops the chains it left
    /// in flight first, rebuilt from the journal's copies of their descriptors.
    /// </summary>
    public string? Resume(ulong ringIova, ulong driverEventIova, ulong deviceEventIova)
    {
        RingJournal journal = Journal ?? throw new System.InvalidOperationException("Resume needs a journal");
        JournalSnapshot saved = journal.Read(true);
        string? error = saved.Error ?? MapRings(ringIova, driverEventIova, deviceEventIova);
        if (error != null)
        {
            return error;
        }

        ushort used = saved.UsedIndex;
        bool usedWrap = saved.UsedWrap;
        ushort[] returned = [];
        if (saved.Pending && used < Size && ((Volatile.Read(ref _ring[used].flags) & UsedBit) != 0) == usedWrap)
        {
            returned = [saved.PendingValue];
            Advance(ref used, ref usedWrap, journal.RingSlotsOf(saved.PendingValue));
        }

        error = SetPositions(saved.AvailIndex, saved.AvailWrap, used, usedWrap);
        if (error != null)
        {
            return error;
        }

        // The next used slot can hold the driver's descriptor of this lap or anything of the previous
        // lap, never a used descriptor of this lap: that one was written after the journal's record,
        // so the journal is not this ring's (a state file of another run).
        ushort next = Volatile.Read(ref _ring[used].flags);
        if (((next & AvailBit) != 0) == usedWrap && ((next & UsedBit) != 0) == usedWrap)
        {
            Unmap("state file does not match the ring");
            return "the ring already holds a used descriptor at slot " + used + ", where the state file says the next one goes: it belongs to another run of the device";
        }

        _recovered = journal.Resume(returned, used, usedWrap);
        _recoveredNext = 0;
        _recoveredDescriptors = new vring_packed_desc[Size];
        return null;
    }

    /// <summary>Chains taken over from a predecessor and not popped again yet.</summary>
    public int RecoveredPending => _recovered.Length - _recoveredNext;

    /// <summary>The crash-consistent record of this ring, when the device keeps one (null: none).</summary>
    public RingJournal? Journal { get; set; }

    private string? MapRings(ulong ringIova, ulong driverEventIova, ulong deviceEventIova)
    {
        _recovered = [];
        _recoveredNext = 0;
        _ring = (vring_packed_desc*)Map(ringIova, (uint)Size * 16u, true);
        _driverEvent = (vring_packed_desc_event*)Map(driverEventIova, 4, false);
        _deviceEvent = (vring_packed_desc_event*)Map(deviceEventIova, 4, true);
        if (_ring == null || _driverEvent == null || _deviceEvent == null)
        {
            Unmap("rings not mapped");
            return "a packed ring area is not mapped contiguously";
        }

        return null;
    }

    private string? SetPositions(ushort availIndex, bool availWrap, ushort usedIndex, bool usedWrap)
    {
        // The state may come from outside (GET_VQ_INFO, a state file): an index past the ring would
        // make us read and write outside it.
        if (availIndex >= Size || usedIndex >= Size)
        {
            Unmap("ring index out of range");
            return "packed ring state index " + availIndex + "/" + usedIndex + " is not below the queue size " + Size;
        }

        _nextAvail = availIndex;
        _availWrap = availWrap;
        _nextUsed = usedIndex;
        _usedWrap = usedWrap;
        _signalledUsed = usedIndex;
        _signalledWrap = usedWrap;
        BrokenReason = null;
        return null;
    }

    private void Unmap(string reason)
    {
        _ring = null;
        _driverEvent = null;
        _deviceEvent = null;
        BrokenReason = reason;
    }

    private byte* Map(ulong iova, uint bytes, bool write)
    {
        byte* host = _memory.Translate(iova, bytes, write, out uint contiguous);
        return contiguous == bytes ? host : null;
    }

    private bool IsAvailable(ushort flags) =>
        ((flags & AvailBit) != 0) == _availWrap && ((flags & UsedBit) != 0) != _availWrap;

    private bool HasAvailable()
    {
        if (_ring == null || BrokenReason != null)
        {
            return false;
        }

        // Acquire: the driver writes a descriptor's other fields (and the rest of its chain) before
        // flipping the head's flags, so after this load the whole chain is visible.
        return IsAvailable(Volatile.Read(ref _ring[_nextAvail].flags));
    }

    /// <inheritdoc />
    public bool TryPop(DescriptorChain chain)
    {
        if (_recoveredNext < _recovered.Length && _ring != null && BrokenReason == null)
        {
            PopRecovered(_recovered[_recoveredNext++], chain);
            return true;
        }

        if (!HasAvailable())
        {
            return false;
        }

        chain.Reset(0);
        ushort index = _nextAvail;
        ChainError error = ChainError.None;
        ushort slots = 0;
        while (true)
        {
            if (slots == Size)
            {
                // NEXT on every descriptor of the ring: the chain never ends, so its slots cannot be
                // returned; the ring is beyond repair until the driver resets it.
                BrokenReason = "a packed descriptor chain runs around the whole ring";
                return false;
            }

            vring_packed_desc d = _ring[index];
            Journal?.AppendPacked(d);
            slots++;
            chain.DescriptorCount++;
            if (error == ChainError.None)
            {
                error = Take(d, chain);
            }

            index = (ushort)(index + 1 == Size ? 0 : index + 1);
            if ((d.flags & VirtioConstants.VRING_DESC_F_NEXT) == 0)
            {
                // The buffer id is the last descriptor's (spec 2.8.6).
                chain.Head = d.id;
                break;
            }
        }

        chain.Error = error;
        chain.RingSlots = slots;
        Advance(ref _nextAvail, ref _availWrap, slots);
        Journal?.PoppedPacked(chain.Head, slots, _nextAvail, _availWrap);
        return true;
    }

    /// <summary>Moves a ring position <paramref name="slots"/> slots on, flipping its wrap counter when it passes the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance(ref ushort index, ref bool wrap, int slots)
    {
        int next = index + slots;
        if (next >= Size)
        {
            next -= Size;
            wrap = !wrap;
        }

        index = (ushort)next;
    }

    /// <summary>Rebuilds a chain left in flight by a predecessor from the journal's descriptor copies.</summary>
    private void PopRecovered(ushort id, DescriptorChain chain)
    {
        chain.Reset(id);
        int count = Journal!.RecordedDescriptors(id, _recoveredDescriptors);
        ChainError error = ChainError.None;
        for (int i = 0; i < count && error == ChainError.None; i++)
        {
            chain.DescriptorCount++;
            error = Take(_recoveredDescriptors[i], chain);
        }

        chain.Error = count == 0 ? ChainError.TooLong : error;
        chain.RingSlots = Journal.RingSlotsOf(id);
    }

    private ChainError Take(in vring_packed_desc d, DescriptorChain chain)
    {
        if ((d.flags & VirtioConstants.VRING_DESC_F_INDIRECT) != 0)
        {
            if (!Indirect)
            {
                return ChainError.IndirectNotNegotiated;
            }

            // In a packed ring an indirect descriptor stands alone: no NEXT on it, and not at the end
            // of a NEXT-linked list either (spec 2.8.7).
            return (d.flags & VirtioConstants.VRING_DESC_F_NEXT) != 0 || chain.DescriptorCount > 1
                ? ChainError.BadIndirectTable
                : WalkIndirect(d, chain);
        }

        return chain.AppendDescriptor(ref _memory, d.addr, d.len, d.flags);
    }

    private ChainError WalkIndirect(in vring_packed_desc table, DescriptorChain chain)
    {
        if (table.len == 0 || table.len % 16 != 0 || table.len / 16 > Size)
        {
            return ChainError.BadIndirectTable;
        }

        // Packed indirect tables are read in order; NEXT is ignored inside them (spec 2.8.7).
        uint count = table.len / 16;
        for (uint i = 0; i < count; i++)
        {
            byte* entry = _memory.Translate(table.addr + (i * 16), 16, false, out uint contiguous);
            if (entry == null || contiguous < 16)
            {
                return ChainError.UnmappedAddress;
            }

            vring_packed_desc d = Unsafe.ReadUnaligned<vring_packed_desc>(entry);
            chain.DescriptorCount++;
            if ((d.flags & VirtioConstants.VRING_DESC_F_INDIRECT) != 0)
            {
                return ChainError.NestedIndirect;
            }

            ChainError error = chain.AppendDescriptor(ref _memory, d.addr, d.len, d.flags);
            if (error != ChainError.None)
            {
                return error;
            }
        }

        return ChainError.None;
    }

    /// <inheritdoc />
    public void Complete(DescriptorChain chain, uint writtenBytes)
    {
        Journal?.BeginCompletePacked(chain.Head, _nextUsed, _usedWrap);
        vring_packed_desc* d = &_ring[_nextUsed];
        d->id = chain.Head;
        d->len = writtenBytes;

        // Release: id and len must be visible before the flags hand the descriptor back.
        Volatile.Write(ref d->flags, _usedWrap ? (ushort)(AvailBit | UsedBit) : (ushort)0);
        Advance(ref _nextUsed, ref _usedWrap, chain.RingSlots);
        Journal?.EndCompletePacked(chain.Head, _nextUsed, _usedWrap);
        CompletedTotal++;
    }

    /// <inheritdoc />
    public bool PublishUsed() => _nextUsed != _signalledUsed || _usedWrap != _signalledWrap;

    /// <inheritdoc />
    public bool ShouldInterrupt(ushort usedAtLastCheck)
    {
        if (_driverEvent == null)
        {
            return false;
        }

        // Full fence: our used flags must be visible before we read the driver's suppression state.
        Interlocked.MemoryBarrier();
        ushort flags = Volatile.Read(ref _driverEvent->flags);
        ushort old = _signalledUsed;
        bool oldWrap = _signalledWrap;
        _signalledUsed = _nextUsed;
        _signalledWrap = _usedWrap;
        if (flags == VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE)
        {
            return false;
        }

        if (flags != VirtioConstants.VRING_PACKED_EVENT_FLAG_DESC || !EventIdx)
        {
            return true;
        }

        // Event index in the driver's wrap frame: the same arithmetic as vring_need_event, with the
        // offset moved back by the ring size when it belongs to the other lap.
        ushort offWrap = Volatile.Read(ref _driverEvent->off_wrap);
        int eventOffset = offWrap & 0x7fff;
        bool eventWrap = (offWrap >> VirtioConstants.VRING_PACKED_EVENT_F_WRAP_CTR) != 0;
        if (eventWrap != _usedWrap)
        {
            eventOffset -= Size;
        }

        int newIdx = _nextUsed;
        int oldIdx = old;
        if (oldWrap != _usedWrap)
        {
            oldIdx -= Size;
        }

        return newIdx - eventOffset - 1 < newIdx - oldIdx && newIdx - eventOffset - 1 >= 0;
    }

    /// <inheritdoc />
    public bool EnableKicksAndRecheck()
    {
        if (_ring == null)
        {
            return false;
        }

        if (EventIdx)
        {
            ushort offWrap = (ushort)(_nextAvail | (_availWrap ? 1 << VirtioConstants.VRING_PACKED_EVENT_F_WRAP_CTR : 0));
            Volatile.Write(ref _deviceEvent->off_wrap, offWrap);
            Volatile.Write(ref _deviceEvent->flags, VirtioConstants.VRING_PACKED_EVENT_FLAG_DESC);
        }
        else
        {
            Volatile.Write(ref _deviceEvent->flags, VirtioConstants.VRING_PACKED_EVENT_FLAG_ENABLE);
        }

        // Full fence: the enable must be visible before we look at the ring again, pairing with the
        // driver's fence between making a descriptor available and reading our event flags.
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    /// <inheritdoc />
    public void DisableKicks()
    {
        if (_deviceEvent != null)
        {
            Volatile.Write(ref _deviceEvent->flags, VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE);
        }
    }
}
