namespace VduseAot.Virtio;

/// <summary>
/// What the split and packed layouts share: the negotiated ring features, the journal, the chains
/// taken over from a predecessor, the interrupt bookkeeping of <see cref="IDeviceQueue.FinishBatch"/>,
/// and the start, restart, resume and adopt steps around each layout's own ring mapping and position.
/// Only start-up goes through the abstract members; the hot path is each sealed layout's own code.
/// </summary>
public abstract unsafe class DeviceQueue<TMem> : IDeviceQueue
    where TMem : struct, IGuestMemory
{
    private RingAddresses _rings;
    private ushort[] _recovered = [];
    private int _recoveredNext;
    private ulong _completedAtCheck;

    private protected DeviceQueue(TMem memory, ushort size)
    {
        MemoryField = memory;
        Size = size;
    }

    /// <inheritdoc />
    public ushort Size { get; }

    /// <inheritdoc />
    public string? BrokenReason { get; private protected set; }

    /// <inheritdoc />
    public abstract ushort LastAvailIndex { get; }

    /// <inheritdoc />
    public abstract ushort NextUsedIndex { get; }

    /// <inheritdoc />
    public abstract RingPosition Position { get; }

    /// <inheritdoc />
    public ulong CompletedTotal { get; private protected set; }

    /// <summary>VIRTIO_RING_F_INDIRECT_DESC was negotiated: descriptors may point at indirect tables.</summary>
    public bool Indirect { get; set; }

    /// <summary>VIRTIO_RING_F_EVENT_IDX was negotiated: the event index fields replace the plain flags.</summary>
    public bool EventIdx { get; set; }

    /// <summary>The crash-consistent record of this ring, when the device keeps one (null: none).</summary>
    public RingJournal? Journal { get; set; }

    /// <inheritdoc />
    public int RecoveredPending => _recovered.Length - _recoveredNext;

    /// <summary>Guest memory (by reference so a stateful translator keeps its cache).</summary>
    public ref TMem Memory => ref MemoryField;

    /// <summary>The guest memory the rings and buffers are translated through.</summary>
    private protected TMem MemoryField;

    private protected abstract bool IsPacked { get; }

    /// <inheritdoc />
    public string? Start(RingAddresses rings, RingPosition position)
    {
        string? error = StartAt(rings, position);
        if (error == null)
        {
            MarkInterruptCheck();
        }

        return error;
    }

    /// <inheritdoc />
    public string? Restart() => StartAt(_rings, Position);

    /// <inheritdoc />
    public string? Resume(RingAddresses rings)
    {
        RingJournal journal = Journal ?? throw new System.InvalidOperationException("Resume needs a journal");
        JournalSnapshot saved = journal.Read(IsPacked);
        _rings = rings;
        ClearRecovered();
        ushort[] returned = [];
        string? error = saved.Error ?? MapRings(rings) ?? Settle(saved, journal, out returned);
        if (error != null)
        {
            return error;
        }

        RingPosition position = Position;
        _recovered = journal.Resume(returned, position.UsedIndex, position.UsedWrap);
        MarkInterruptCheck();
        return null;
    }

    /// <inheritdoc />
    public abstract string? Adopt(RingAddresses rings);

    /// <inheritdoc />
    public abstract bool TryPop(DescriptorChain chain);

    /// <inheritdoc />
    public abstract void Complete(DescriptorChain chain, uint writtenBytes);

    /// <inheritdoc />
    public abstract void FlushUsed();

    /// <inheritdoc />
    public abstract bool FinishBatch();

    /// <inheritdoc />
    public abstract bool EnableKicksAndRecheck();

    /// <inheritdoc />
    public abstract void DisableKicks();

    /// <summary>Translates the ring areas at <paramref name="rings"/>; an error text when one is unmapped or not contiguous.</summary>
    private protected abstract string? MapRings(RingAddresses rings);

    /// <summary>Sets the ring's position after <see cref="MapRings"/>; an error text when it cannot be this ring's.</summary>
    private protected abstract string? Place(RingPosition position);

    /// <summary>
    /// Resume's layout part, after the rings are mapped: settles the completion the predecessor was
    /// publishing (<paramref name="returned"/>: the chains it did return) and sets the position it left.
    /// </summary>
    private protected abstract string? Settle(JournalSnapshot saved, RingJournal journal, out ushort[] returned);

    /// <summary>Where <see cref="FinishBatch"/>'s next interrupt decision starts (a start or resume, not a restart).</summary>
    private protected virtual void MarkInterruptCheck() => _completedAtCheck = CompletedTotal;

    /// <summary>True once per batch with completions since the last call: the interrupt decision is only made for those.</summary>
    private protected bool CompletedSinceCheck()
    {
        if (CompletedTotal == _completedAtCheck)
        {
            return false;
        }

        _completedAtCheck = CompletedTotal;
        return true;
    }

    /// <summary>The next chain a predecessor left in flight, in pop order; false when none is left.</summary>
    private protected bool TryTakeRecovered(out ushort id)
    {
        if (_recoveredNext < _recovered.Length && BrokenReason == null)
        {
            id = _recovered[_recoveredNext++];
            return true;
        }

        id = 0;
        return false;
    }

    /// <summary>Translates one ring area; null unless all of it is contiguous in host memory.</summary>
    private protected byte* MapArea(ulong iova, uint bytes, bool write)
    {
        byte* host = MemoryField.Translate(iova, bytes, write, out uint contiguous);
        return contiguous == bytes ? host : null;
    }

    private string? StartAt(RingAddresses rings, RingPosition position)
    {
        _rings = rings;
        ClearRecovered();
        string? error = MapRings(rings) ?? Place(position);
        if (error == null)
        {
            Journal?.Reset(IsPacked, Position);
        }

        return error;
    }

    private void ClearRecovered()
    {
        _recovered = [];
        _recoveredNext = 0;
    }
}
