using System;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Virtio;

/// <summary>
/// A virtqueue's crash-consistent record, kept in memory that outlives the process (a MAP_SHARED
/// state file): the chains popped and not yet returned, in pop order, and where the avail and used
/// sides stand. The ring updates it on the hot path with plain stores ordered by releases, so a
/// process killed at any instruction leaves a record its successor can resume from: every chain
/// the driver made available is exactly one of still in the avail ring past the recorded position,
/// recorded in flight, or returned in a used entry the driver can see.
/// </summary>
/// <remarks>
/// Layout (little-endian): a <see cref="JournalHeader"/> (the position words of
/// <see cref="JournalWord"/>, the base sequence below which records predate the last reset, size and
/// layout), then two tables of <c>size</c> 16-byte entries: per buffer id a record (pop sequence, first pool entry, ring slots) and, for packed rings, a pool of copied
/// descriptors: a packed ring's used entries overwrite the descriptors of chains still in flight,
/// so the journal keeps its own copy (linked through the id field).
/// </remarks>
public sealed unsafe class RingJournal
{
    private const int HeaderBytes = JournalHeader.Bytes;
    private const uint LayoutSplit = JournalHeader.LayoutSplit;
    private const uint LayoutPacked = JournalHeader.LayoutPacked;
    private const ushort NoEntry = 0xffff;

    private readonly byte* _region;
    private readonly Record* _records;
    private readonly vring_packed_desc* _pool;
    private readonly ushort[] _poolFree;
    private readonly ushort[] _completed;
    private int _poolFreeCount;
    private int _completedCount;
    private ulong _popCount;
    private ushort _chainFirst = NoEntry;
    private ushort _chainLast = NoEntry;
    private bool _chainOverflow;

    /// <summary>Uses <paramref name="region"/> (at least <see cref="RegionBytes"/> bytes, outliving the process) for a ring of <paramref name="size"/>.</summary>
    public RingJournal(byte* region, ushort size)
    {
        _region = region;
        Size = size;
        _records = (Record*)(region + HeaderBytes);
        _pool = (vring_packed_desc*)(region + HeaderBytes + (16 * size));
        _poolFree = new ushort[size];
        _completed = new ushort[size];
    }

    /// <summary>Bytes one queue's journal needs.</summary>
    public static int RegionBytes(ushort size) => HeaderBytes + (32 * size);

    /// <summary>Entries of the ring the journal belongs to.</summary>
    public ushort Size { get; }

    private ref JournalHeader Header => ref *(JournalHeader*)_region;

    private ref ulong AvailWord => ref Header.AvailWord;

    private ref ulong UsedWord => ref Header.UsedWord;

    private ref ulong BaseSeq => ref Header.BaseSeq;

    private ref uint StoredSize => ref Header.StoredSize;

    private ref uint StoredLayout => ref Header.StoredLayout;

    /// <summary>Starts a fresh record (the driver started the ring): nothing in flight.</summary>
    public void Reset(bool packed, RingPosition position)
    {
        // Pop counts keep growing across resets so a record left from before is recognisably stale
        // even if a crash interrupts the clearing below.
        _popCount = StoredSize == Size ? JournalWord.PopCount(Volatile.Read(ref AvailWord)) : 0;
        Volatile.Write(ref BaseSeq, _popCount);
        Volatile.Write(ref AvailWord, JournalWord.Avail(position.AvailIndex, position.AvailWrap, _popCount));
        Volatile.Write(ref UsedWord, JournalWord.Used(position.UsedIndex, position.UsedWrap));
        StoredSize = Size;
        StoredLayout = packed ? LayoutPacked : LayoutSplit;
        new Span<byte>(_records, 32 * Size).Clear();
        RebuildPool();
        _completedCount = 0;
        _chainFirst = NoEntry;
        _chainOverflow = false;
    }

    // ---- hot path: pops ------------------------------------------------------------------------

    /// <summary>Records split-ring chain <paramref name="head"/> as popped, with the avail position after it.</summary>
    public void PoppedSplit(ushort head, ushort nextAvail)
    {
        ulong seq = ++_popCount;
        _records[head].Seq = seq;

        // Release: the record is written before the position that makes it count, so a crash between
        // the two leaves the chain to be popped again from the avail ring, not resubmitted twice.
        Volatile.Write(ref AvailWord, JournalWord.Avail(nextAvail, false, seq));
    }

    /// <summary>Copies one ring descriptor of the packed chain being popped (its slot may be overwritten while the chain is in flight).</summary>
    public void AppendPacked(in vring_packed_desc d)
    {
        if (_poolFreeCount == 0)
        {
            // Only a driver with more descriptors outstanding than the ring holds gets here.
            _chainOverflow = true;
            return;
        }

        ushort entry = _poolFree[--_poolFreeCount];
        _pool[entry] = d;
        _pool[entry].id = NoEntry;
        if (_chainFirst == NoEntry)
        {
            _chainFirst = entry;
        }
        else
        {
            _pool[_chainLast].id = entry;
        }

        _chainLast = entry;
    }

    /// <summary>Records the packed chain copied by <see cref="AppendPacked"/> as buffer <paramref name="id"/>, with the avail position after it.</summary>
    public void PoppedPacked(ushort id, ushort ringSlots, ushort nextAvail, bool availWrap)
    {
        ushort first = _chainFirst;
        _chainFirst = NoEntry;
        if (_chainOverflow || id >= Size || Volatile.Read(ref _records[id].Seq) > Volatile.Read(ref BaseSeq))
        {
            // Unrecordable (a driver bug: id out of range or reused while in flight): serve it, keep
            // the position, and let a crash lose only this chain.
            FreeChain(first);
            _chainOverflow = false;
            Volatile.Write(ref AvailWord, JournalWord.Avail(nextAvail, availWrap, _popCount));
            return;
        }

        ulong seq = ++_popCount;
        _records[id].First = first;
        _records[id].RingSlots = ringSlots;

        // Release: the copied descriptors and the record's fields before the sequence that makes it live.
        Volatile.Write(ref _records[id].Seq, seq);

        // Release: the record before the position (see PoppedSplit).
        Volatile.Write(ref AvailWord, JournalWord.Avail(nextAvail, availWrap, seq));
    }

    // ---- hot path: completions -----------------------------------------------------------------

    /// <summary>Notes a split-ring completion; it counts once <see cref="EndPublishSplit"/> ran.</summary>
    public void CompletedSplit(ushort head)
    {
        if (_completedCount < _completed.Length)
        {
            _completed[_completedCount++] = head;
        }
    }

    /// <summary>Before the used index moves from <paramref name="fromUsed"/> by the completions noted: marks the batch pending.</summary>
    public void BeginPublishSplit(ushort fromUsed, ushort count)
    {
        // Release: a successor seeing the pending batch compares the guest's used index with both ends.
        Volatile.Write(ref UsedWord, JournalWord.UsedPending(fromUsed, false, count));
    }

    /// <summary>After the used index store: the batch's chains are no longer in flight.</summary>
    public void EndPublishSplit(ushort newUsed)
    {
        for (int i = 0; i < _completedCount; i++)
        {
            _records[_completed[i]].Seq = 0;
        }

        _completedCount = 0;

        // Release: the cleared records before the batch stops being pending.
        Volatile.Write(ref UsedWord, JournalWord.Used(newUsed, false));
    }

    /// <summary>Before a packed used descriptor for <paramref name="id"/> is written at <paramref name="usedIndex"/>.</summary>
    public void BeginCompletePacked(ushort id, ushort usedIndex, bool usedWrap)
    {
        // Release: a successor seeing this checks the slot's USED bit to learn whether the write landed.
        Volatile.Write(ref UsedWord, JournalWord.UsedPending(usedIndex, usedWrap, id));
    }

    /// <summary>After the used descriptor's flags were stored: <paramref name="id"/> is no longer in flight.</summary>
    public void EndCompletePacked(ushort id, ushort nextUsed, bool nextWrap)
    {
        if (id < Size && Volatile.Read(ref _records[id].Seq) > Volatile.Read(ref BaseSeq))
        {
            FreeChain(_records[id].First);
            _records[id].Seq = 0;
        }

        // Release: the cleared record before the completion stops being pending.
        Volatile.Write(ref UsedWord, JournalWord.Used(nextUsed, nextWrap));
    }

    // ---- recovery --------------------------------------------------------------------------------

    /// <summary>What a predecessor left: positions, the pending completion, the chains in flight.</summary>
    public JournalSnapshot Read(bool packed)
    {
        if (StoredSize != Size || StoredLayout != (packed ? LayoutPacked : LayoutSplit))
        {
            return new JournalSnapshot { Error = "the state file records a " + (StoredLayout == LayoutPacked ? "packed" : "split") + " ring of " + StoredSize + " entries, the driver uses a " + (packed ? "packed" : "split") + " ring of " + Size };
        }

        ulong avail = Volatile.Read(ref AvailWord);
        ulong used = Volatile.Read(ref UsedWord);
        return new JournalSnapshot
        {
            AvailIndex = JournalWord.Index(avail),
            AvailWrap = JournalWord.Wrap(avail),
            UsedIndex = JournalWord.Index(used),
            UsedWrap = JournalWord.Wrap(used),
            Pending = JournalWord.IsPending(used),
            PendingValue = JournalWord.PendingValue(used),
        };
    }

    /// <summary>Ring slots of in-flight buffer <paramref name="id"/> (packed).</summary>
    public ushort RingSlotsOf(ushort id) => id < Size ? _records[id].RingSlots : (ushort)1;

    /// <summary>
    /// Finishes recovery: forgets the chains the ring returned before the crash (<paramref name="returned"/>),
    /// records the used position, and gives the chains still in flight in the order they were popped.
    /// </summary>
    public ushort[] Resume(ReadOnlySpan<ushort> returned, ushort usedIndex, bool usedWrap)
    {
        foreach (ushort id in returned)
        {
            if (id < Size)
            {
                _records[id].Seq = 0;
            }
        }

        ulong avail = Volatile.Read(ref AvailWord);
        _popCount = JournalWord.PopCount(avail);
        ulong baseSeq = Volatile.Read(ref BaseSeq);
        var live = new System.Collections.Generic.List<(ulong Seq, ushort Id)>();
        for (ushort id = 0; id < Size; id++)
        {
            ulong seq = _records[id].Seq;
            if (seq > baseSeq && seq <= _popCount)
            {
                live.Add((seq, id));
            }
            else if (seq != 0)
            {
                // Written by a pop whose position never became durable: the chain is popped again.
                _records[id].Seq = 0;
            }
        }

        live.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        Volatile.Write(ref UsedWord, JournalWord.Used(usedIndex, usedWrap));
        RebuildPool();
        _completedCount = 0;
        return live.ConvertAll(x => x.Id).ToArray();
    }

    /// <summary>Copies the descriptors recorded for packed buffer <paramref name="id"/> into <paramref name="into"/>; returns how many.</summary>
    public int RecordedDescriptors(ushort id, Span<vring_packed_desc> into)
    {
        int n = 0;
        for (ushort e = _records[id].First; e != NoEntry && e < Size && n < into.Length; e = _pool[e].id)
        {
            into[n++] = _pool[e];
        }

        return n;
    }

    private void RebuildPool()
    {
        // Entries used by live records stay; everything else is free. Only called at start-up.
        var used = new bool[Size];
        ulong baseSeq = Volatile.Read(ref BaseSeq);
        for (ushort id = 0; id < Size; id++)
        {
            if (_records[id].Seq > baseSeq)
            {
                int guard = 0;
                for (ushort e = _records[id].First; e != NoEntry && e < Size && guard++ < Size; e = _pool[e].id)
                {
                    used[e] = true;
                }
            }
        }

        _poolFreeCount = 0;
        for (int e = Size - 1; e >= 0; e--)
        {
            if (!used[e])
            {
                _poolFree[_poolFreeCount++] = (ushort)e;
            }
        }
    }

    private void FreeChain(ushort first)
    {
        int guard = 0;
        for (ushort e = first; e != NoEntry && e < Size && guard++ < Size; e = _pool[e].id)
        {
            _poolFree[_poolFreeCount++] = e;
        }
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 16)]
    private struct Record
    {
        public ulong Seq;
        public ushort First;
        public ushort RingSlots;
    }
}

/// <summary>A journal's positions as a predecessor left them (see <see cref="RingJournal.Read"/>).</summary>
public readonly struct JournalSnapshot
{
    /// <summary>Set when the journal cannot belong to this ring.</summary>
    public string? Error { get; init; }

    /// <summary>Next avail index to pop.</summary>
    public ushort AvailIndex { get; init; }

    /// <summary>Packed: the avail wrap counter.</summary>
    public bool AvailWrap { get; init; }

    /// <summary>Used index before the pending completion (or the current one).</summary>
    public ushort UsedIndex { get; init; }

    /// <summary>Packed: the used wrap counter.</summary>
    public bool UsedWrap { get; init; }

    /// <summary>A completion was being published when the predecessor stopped.</summary>
    public bool Pending { get; init; }

    /// <summary>Split: entries in the pending batch; packed: the buffer id being returned.</summary>
    public ushort PendingValue { get; init; }
}
