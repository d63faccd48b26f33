using System;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Block;

/// <summary>
/// The segment, iovec and range arrays of every request slot of a queue, in one private anonymous
/// mapping. Slots are sized for the largest request a queue may carry (some 33 KiB each, 8 MiB for
/// 256 of them), but the kernel backs a page only when it is first touched, and the queue reuses the
/// slot freed last: what a queue costs follows the requests its driver keeps in flight and their
/// size, not the queue size (small requests touch the first page of a slot's chain and data arrays).
/// On the GC heap the same arrays were all resident, moved by every compaction.
/// </summary>
public sealed unsafe class SlotMemory : SafeHandle
{
    private readonly nuint _length;
    private readonly int _slotBytes;

    /// <summary>Maps room for <paramref name="slots"/> slots of <paramref name="slotBytes"/> bytes each.</summary>
    public SlotMemory(int slots, int slotBytes)
        : base((nint)(-1), ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotBytes);
        _slotBytes = slotBytes;
        _length = (nuint)slots * (nuint)slotBytes;

        // NORESERVE: the worst case need not be backed by swap or commit charge; it is only touched
        // as deep and large requests arrive.
        void* p = LibC.mmap(null, (size_t)(ulong)_length, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (p == LibC.MAP_FAILED)
        {
            throw new OutOfMemoryException("cannot map " + _length + " bytes for request slots: " + ErrnoExtensions.Last().Describe());
        }

        SetHandle((nint)p);

        // With transparent huge pages on ("always", Debian's default), the first touch of a slot
        // would fault in 2 MiB at once, defeating the point of touching slots one page at a time. A
        // kernel without them refuses the advice and has nothing to avoid.
        _ = LibC.madvise(p, (size_t)(ulong)_length, LibC.MADV_NOHUGEPAGE);
    }

    /// <summary>Bytes mapped.</summary>
    public ulong Length => _length;

    /// <inheritdoc/>
    public override bool IsInvalid => handle == -1;

    /// <summary>Storage of slot <paramref name="index"/>.</summary>
    public byte* Slot(int index) => (byte*)handle + ((nuint)index * (nuint)_slotBytes);

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => LibC.munmap((void*)handle, (size_t)(ulong)_length) == 0;
}
