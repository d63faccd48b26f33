using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Virtio;

/// <summary>
/// Device side of a split virtqueue (virtio 1.2 section 2.7): reads the avail ring, walks descriptor
/// chains into <see cref="DescriptorChain"/>s and writes the used ring. Owned by one thread; no locks.
/// The rings are translated once at <see cref="DeviceQueue{TMem}.Start"/> and must be contiguous in host memory.
/// </summary>
public sealed unsafe class SplitQueue<TMem> : DeviceQueue<TMem>
    where TMem : struct, IGuestMemory
{
    private vring_desc* _desc;
    private vring_avail* _avail;
    private ushort* _availRing;
    private vring_used* _used;
    private vring_used_elem* _usedRing;
    private ushort _lastAvail;
    private ushort _availCache;
    private ushort _nextUsed;
    private ushort _publishedUsed;
    private ushort _usedAtCheck;

    /// <summary>Creates a stopped queue of <paramref name="size"/> entries (a power of two, at most 32768).</summary>
    public SplitQueue(TMem memory, ushort size)
        : base(memory, CheckSize(size))
    {
    }

    /// <summary>Next avail index the device will read (what GET_VQ_STATE reports).</summary>
    public override ushort LastAvailIndex => _lastAvail;

    /// <inheritdoc />
    public override ushort NextUsedIndex => _nextUsed;

    /// <inheritdoc />
    public override RingPosition Position => RingPosition.Split(_lastAvail, _nextUsed);

    /// <summary>Chains popped whose head index was outside the table; they cannot be returned.</summary>
    public ulong BadHeads { get; private set; }

    private protected override bool IsPacked => false;

    private static ushort CheckSize(ushort size) =>
        size == 0 || (size & (size - 1)) != 0 || size > 32768
            ? throw new System.ArgumentOutOfRangeException(nameof(size), "queue size must be a power of two up to 32768")
            : size;

    /// <inheritdoc />
    public override string? Adopt(RingAddresses rings)
    {
        // No record of the predecessor: assume nothing was in flight and continue after the last
        // chain it returned (what --force promises, and all it can). Mapping the rings reads that
        // used index from the used ring; the start then continues there.
        return MapRings(rings) ?? Start(rings, RingPosition.Split(_nextUsed));
    }

    private protected override string? MapRings(RingAddresses rings)
    {
        _desc = (vring_desc*)MapArea(rings.Descriptors, SplitRingLayout.DescriptorTableBytes(Size), false);
        _avail = (vring_avail*)MapArea(rings.Driver, SplitRingLayout.AvailRingBytes(Size), false);
        _used = (vring_used*)MapArea(rings.Device, SplitRingLayout.UsedRingBytes(Size), true);
        if (_desc == null || _avail == null || _used == null)
        {
            _desc = null;
            _avail = null;
            _used = null;
            BrokenReason = "rings not mapped";
            return "a ring area is not mapped contiguously (desc 0x" + rings.Descriptors.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
                + ", avail 0x" + rings.Driver.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
                + ", used 0x" + rings.Device.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + ")";
        }

        _availRing = (ushort*)((byte*)_avail + SplitRingLayout.AvailRingOffset(0));
        _usedRing = (vring_used_elem*)((byte*)_used + SplitRingLayout.UsedRingOffset(0));

        // The used index lives in shared memory: after a (re)start it is wherever the previous owner
        // left it (0 after the driver's reset), and the device continues from there.
        _nextUsed = Volatile.Read(ref _used->idx);
        _publishedUsed = _nextUsed;
        BrokenReason = null;
        return null;
    }

    private protected override string? Place(RingPosition position)
    {
        SetAvail(position.AvailIndex);
        return null;
    }

    private protected override string? Settle(JournalSnapshot saved, RingJournal journal, out ushort[] returned)
    {
        ushort guestUsed = _nextUsed;
        returned = new ushort[saved.Pending && guestUsed != saved.UsedIndex ? saved.PendingValue : 0];
        if (guestUsed != saved.UsedIndex && (!saved.Pending || guestUsed != (ushort)(saved.UsedIndex + saved.PendingValue)))
        {
            BrokenReason = "state file does not match the ring";
            return "the ring's used index is " + guestUsed + " but the state file expects " + saved.UsedIndex
                + (saved.Pending ? " or " + (ushort)(saved.UsedIndex + saved.PendingValue) : "") + ": it belongs to another run of the device";
        }

        // The batch landed: its used entries (ours, the driver never writes them) name the chains returned.
        for (int i = 0; i < returned.Length; i++)
        {
            returned[i] = (ushort)_usedRing[(ushort)(saved.UsedIndex + i) & (Size - 1)].id;
        }

        SetAvail(saved.AvailIndex);
        return null;
    }

    private protected override void MarkInterruptCheck()
    {
        base.MarkInterruptCheck();
        _usedAtCheck = _nextUsed;
    }

    private void SetAvail(ushort availIndex)
    {
        _lastAvail = availIndex;
        _availCache = availIndex;
    }

    /// <summary>True when the driver has published chains not popped yet.</summary>
    public bool HasAvailable()
    {
        if (_avail == null)
        {
            return false;
        }

        if (_availCache != _lastAvail)
        {
            return true;
        }

        // Acquire: observes the ring entries and descriptors the driver wrote before bumping idx.
        _availCache = Volatile.Read(ref _avail->idx);
        if ((ushort)(_availCache - _lastAvail) > Size)
        {
            BrokenReason = "the driver moved the avail index more than the queue size ahead";
            _availCache = _lastAvail;
            return false;
        }

        return _availCache != _lastAvail;
    }

    /// <summary>
    /// Pops the next chain into <paramref name="chain"/>. Returns false when nothing is available or the
    /// queue is broken. A malformed chain still pops (with <see cref="DescriptorChain.Error"/> set) so it
    /// can be completed with an error instead of being lost. A head outside the table is skipped and
    /// counted in <see cref="BadHeads"/>: no used entry could name it.
    /// </summary>
    public override bool TryPop(DescriptorChain chain)
    {
        if (TryTakeRecovered(out ushort recovered))
        {
            // In flight when the predecessor stopped: the driver still owns nothing of it, so the
            // descriptors are unchanged and the chain is walked again.
            Walk(recovered, chain);
            return true;
        }

        while (BrokenReason == null && HasAvailable())
        {
            ushort head = _availRing[_lastAvail & (Size - 1)];
            _lastAvail++;
            if (head >= Size)
            {
                BadHeads++;
                continue;
            }

            Walk(head, chain);
            Journal?.PoppedSplit(head, _lastAvail);
            return true;
        }

        return false;
    }

    private void Walk(ushort head, DescriptorChain chain)
    {
        chain.Reset(head);
        ushort index = head;

        // No valid chain has more descriptors than the queue has entries: a longer walk is a loop.
        int ttl = Size;
        while (true)
        {
            if (ttl-- == 0)
            {
                chain.Error = ChainError.TooLong;
                return;
            }

            // Copy the descriptor once: the driver owns the table and a second read could differ.
            vring_desc d = _desc[index];
            chain.DescriptorCount++;
            if ((d.flags & VirtioConstants.VRING_DESC_F_INDIRECT) != 0 && Indirect)
            {
                // An indirect descriptor ends the main chain (the driver may not set NEXT on it).
                chain.Error = (d.flags & VirtioConstants.VRING_DESC_F_NEXT) != 0
                    ? ChainError.BadIndirectTable
                    : IndirectTable.Walk(ref MemoryField, d.addr, d.len, Size, linked: true, chain);
                return;
            }

            // Without the feature an INDIRECT flag is a driver bug.
            ChainError error = (d.flags & VirtioConstants.VRING_DESC_F_INDIRECT) != 0
                ? ChainError.IndirectNotNegotiated
                : chain.AppendDescriptor(ref MemoryField, d.addr, d.len, d.flags);
            if (error != ChainError.None)
            {
                chain.Error = error;
                return;
            }

            if ((d.flags & VirtioConstants.VRING_DESC_F_NEXT) == 0)
            {
                return;
            }

            if (d.next >= Size)
            {
                chain.Error = ChainError.IndexOutOfRange;
                return;
            }

            index = d.next;
        }
    }

    /// <inheritdoc />
    public override void Complete(DescriptorChain chain, uint writtenBytes) => AddUsed(chain.Head, writtenBytes);

    /// <summary>Writes a used element; the driver sees it after the next <see cref="PublishUsed"/>.</summary>
    public void AddUsed(ushort head, uint writtenBytes)
    {
        vring_used_elem* elem = &_usedRing[_nextUsed & (Size - 1)];
        elem->id = head;
        elem->len = writtenBytes;
        Journal?.CompletedSplit(head);
        _nextUsed++;
        CompletedTotal++;
    }

    /// <summary>
    /// Makes every element added since the last call visible to the driver with one store of used->idx.
    /// Returns true when something was published.
    /// </summary>
    public bool PublishUsed()
    {
        if (_nextUsed == _publishedUsed)
        {
            return false;
        }

        Journal?.BeginPublishSplit(_publishedUsed, (ushort)(_nextUsed - _publishedUsed));

        // Release: publishes the used elements written above before the driver can see the new idx.
        Volatile.Write(ref _used->idx, _nextUsed);
        Journal?.EndPublishSplit(_nextUsed);
        _publishedUsed = _nextUsed;
        return true;
    }

    /// <inheritdoc />
    public override void FlushUsed() => PublishUsed();

    /// <inheritdoc />
    public override bool FinishBatch()
    {
        PublishUsed();
        if (!CompletedSinceCheck())
        {
            return false;
        }

        ushort since = _usedAtCheck;
        _usedAtCheck = _nextUsed;
        return ShouldInterrupt(since);
    }

    /// <summary>
    /// After <see cref="PublishUsed"/>: does the driver want an interrupt for the entries published
    /// since the used index was <paramref name="usedAtLastCheck"/>? With EVENT_IDX, only if they
    /// crossed used_event; otherwise unless VRING_AVAIL_F_NO_INTERRUPT is set.
    /// </summary>
    public bool ShouldInterrupt(ushort usedAtLastCheck)
    {
        if (!EventIdx)
        {
            return DriverWantsInterrupt();
        }

        // Full fence: the used idx store must be visible before we read the driver's suppression
        // state, or a driver that just re-enabled interrupts and checked the old idx would wait forever.
        Interlocked.MemoryBarrier();

        // used_event sits after the avail ring's entries.
        ushort usedEvent = Volatile.Read(ref *(ushort*)((byte*)_avail + SplitRingLayout.UsedEventOffset(Size)));
        return (ushort)(_publishedUsed - usedEvent - 1) < (ushort)(_publishedUsed - usedAtLastCheck);
    }

    /// <summary>Interrupt check without EVENT_IDX bookkeeping (VRING_AVAIL_F_NO_INTERRUPT only).</summary>
    public bool DriverWantsInterrupt()
    {
        // Full fence: the used idx store before the flags load (see ShouldInterrupt).
        Interlocked.MemoryBarrier();
        return (Volatile.Read(ref _avail->flags) & VirtioConstants.VRING_AVAIL_F_NO_INTERRUPT) == 0;
    }

    /// <summary>
    /// Before the device sleeps: asks the driver to kick for anything it publishes from now on (with
    /// EVENT_IDX by writing avail_event), then looks at the avail ring once more. Returns true when
    /// chains arrived meanwhile, in which case the caller must not sleep: the driver may have decided
    /// not to kick just before it saw the new avail_event.
    /// </summary>
    public override bool EnableKicksAndRecheck()
    {
        if (_avail == null)
        {
            return false;
        }

        if (EventIdx)
        {
            // avail_event sits after the used ring's elements.
            Volatile.Write(ref *(ushort*)((byte*)_used + SplitRingLayout.AvailEventOffset(Size)), _lastAvail);
        }
        else
        {
            Volatile.Write(ref _used->flags, (ushort)0);
        }

        // Full fence: our avail_event (or flags) store must be visible before we re-read avail->idx,
        // pairing with the driver's fence between its idx store and its avail_event read.
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    /// <summary>While the device polls the ring itself, tells the driver not to kick (VRING_USED_F_NO_NOTIFY; with EVENT_IDX, a stale avail_event does that).</summary>
    public override void DisableKicks()
    {
        if (!EventIdx && _used != null)
        {
            Volatile.Write(ref _used->flags, VirtioConstants.VRING_USED_F_NO_NOTIFY);
        }
    }
}
