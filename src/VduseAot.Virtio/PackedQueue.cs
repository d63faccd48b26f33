using System.Runtime.CompilerServices;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Virtio;

/// <summary>
/// Device side of a packed virtqueue (virtio 1.2 section 2.8): one descriptor ring that the driver
/// marks available and the device marks used, with wrap counters, buffer ids, and event suppression
/// areas in both directions. Owned by one thread; no locks.
/// </summary>
public sealed unsafe class PackedQueue<TMem> : DeviceQueue<TMem>
    where TMem : struct, IGuestMemory
{
    private const ushort AvailBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_AVAIL;
    private const ushort UsedBit = 1 << VirtioConstants.VRING_PACKED_DESC_F_USED;
    private vring_packed_desc* _ring;
    private vring_packed_desc_event* _driverEvent;
    private vring_packed_desc_event* _deviceEvent;
    private ushort _nextAvail;
    private bool _availWrap = true;
    private ushort _nextUsed;
    private bool _usedWrap = true;
    private ushort _signalledUsed;
    private bool _signalledWrap = true;
    private vring_packed_desc[] _recoveredDescriptors = [];

    /// <summary>Creates a stopped queue of <paramref name="size"/> entries (1 to 32768; packed rings need no power of two).</summary>
    public PackedQueue(TMem memory, ushort size)
        : base(memory, CheckSize(size))
    {
    }

    /// <inheritdoc />
    public override ushort LastAvailIndex => _nextAvail;

    /// <summary>The avail wrap counter (GET_VQ_STATE).</summary>
    public bool AvailWrapCounter => _availWrap;

    /// <inheritdoc />
    public override ushort NextUsedIndex => _nextUsed;

    /// <summary>The used wrap counter (GET_VQ_STATE).</summary>
    public bool UsedWrapCounter => _usedWrap;

    /// <inheritdoc />
    public override RingPosition Position => new(_nextAvail, _availWrap, _nextUsed, _usedWrap);

    /// <summary>Completions since the last interrupt decision (<see cref="InterruptDue"/>): what a FinishBatch would decide about.</summary>
    public bool CompletedSinceInterruptCheck => _nextUsed != _signalledUsed || _usedWrap != _signalledWrap;

    private protected override bool IsPacked => true;

    private static ushort CheckSize(ushort size) =>
        size == 0 || size > 32768
            ? throw new System.ArgumentOutOfRangeException(nameof(size), "queue size must be 1 to 32768")
            : size;

    /// <inheritdoc />
    public override string? Adopt(RingAddresses rings)
    {
        // The kernel only knows the positions the ring started from; without a journal there is no
        // telling where a running packed ring stands.
        return "a running packed ring cannot be taken over without its state file (reset the device: unbind and bind virtio_blk, or stop it)";
    }

    private protected override string? MapRings(RingAddresses rings)
    {
        _ring = (vring_packed_desc*)MapArea(rings.Descriptors, PackedRingLayout.RingBytes(Size), true);
        _driverEvent = (vring_packed_desc_event*)MapArea(rings.Driver, PackedRingLayout.EventAreaBytes, false);
        _deviceEvent = (vring_packed_desc_event*)MapArea(rings.Device, PackedRingLayout.EventAreaBytes, true);
        if (_ring == null || _driverEvent == null || _deviceEvent == null)
        {
            Unmap("rings not mapped");
            return "a packed ring area is not mapped contiguously";
        }

        return null;
    }

    /// <summary>
    /// Resume's packed part: settles the completion the predecessor was writing (the slot's USED bit
    /// tells whether the flags store landed: the driver can only rewrite that slot after seeing it)
    /// and continues from its positions; the chains it left in flight are rebuilt from the journal's
    /// copies of their descriptors.
    /// </summary>
    private protected override string? Settle(JournalSnapshot saved, RingJournal journal, out ushort[] returned)
    {
        ushort used = saved.UsedIndex;
        bool usedWrap = saved.UsedWrap;
        returned = [];
        if (saved.Pending && used < Size && ((Volatile.Read(ref _ring[used].flags) & UsedBit) != 0) == usedWrap)
        {
            returned = [saved.PendingValue];
            Advance(ref used, ref usedWrap, journal.RingSlotsOf(saved.PendingValue));
        }

        string? error = Place(new RingPosition(saved.AvailIndex, saved.AvailWrap, used, usedWrap));
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

        _recoveredDescriptors = new vring_packed_desc[Size];
        return null;
    }

    private protected override string? Place(RingPosition position)
    {
        // The state may come from outside (GET_VQ_INFO, a state file): an index past the ring would
        // make us read and write outside it.
        if (position.AvailIndex >= Size || position.UsedIndex >= Size)
        {
            Unmap("ring index out of range");
            return "packed ring state index " + position.AvailIndex + "/" + position.UsedIndex + " is not below the queue size " + Size;
        }

        _nextAvail = position.AvailIndex;
        _availWrap = position.AvailWrap;
        _nextUsed = position.UsedIndex;
        _usedWrap = position.UsedWrap;
        _signalledUsed = position.UsedIndex;
        _signalledWrap = position.UsedWrap;
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
    public override bool TryPop(DescriptorChain chain)
    {
        if (_ring != null && TryTakeRecovered(out ushort recovered))
        {
            PopRecovered(recovered, chain);
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
                : IndirectTable.Walk(ref MemoryField, d.addr, d.len, Size, linked: false, chain); // read in order, NEXT ignored inside (spec 2.8.7)
        }

        return chain.AppendDescriptor(ref MemoryField, d.addr, d.len, d.flags);
    }

    /// <inheritdoc />
    public override void Complete(DescriptorChain chain, uint writtenBytes)
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

    /// <summary>Nothing to flush: each <see cref="Complete"/> handed its descriptor back with a release store of its flags.</summary>
    public override void FlushUsed()
    {
    }

    /// <inheritdoc />
    public override bool FinishBatch() => CompletedSinceCheck() && InterruptDue();

    /// <summary>
    /// Does the driver want an interrupt for the used descriptors written since the last decision
    /// (or start)? Records this point as the last decision. From the driver event area: DISABLE, ENABLE,
    /// or with EVENT_IDX the DESC event offset in the driver's wrap frame.
    /// </summary>
    public bool InterruptDue()
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
    public override bool EnableKicksAndRecheck()
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
    public override void DisableKicks()
    {
        if (_deviceEvent != null)
        {
            Volatile.Write(ref _deviceEvent->flags, VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE);
        }
    }
}
