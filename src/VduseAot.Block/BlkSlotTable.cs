using System;

namespace VduseAot.Block;

/// <summary>
/// The request slots of one queue of a given size and their storage (<see cref="SlotMemory"/>):
/// what a <see cref="BlkQueue{TMem}"/> needs besides its ring. A takeover makes it on the queue's
/// thread before it has the device: some 256 slots took 3-8 ms to make in TCG, on the path the
/// guest waits for.
/// </summary>
public sealed class BlkSlotTable : IDisposable
{
    private readonly SlotMemory _memory;

    /// <summary>Slots for a ring of <paramref name="size"/> entries, sized for the largest request such a queue may carry.</summary>
    public unsafe BlkSlotTable(ushort size)
    {
        ArgumentOutOfRangeException.ThrowIfZero(size);
        Size = size;
        MaxSegments = BlkLimits.SlotSegments(size);
        _memory = new SlotMemory(size, BlkSlot.StorageBytes(MaxSegments, BlkLimits.MaxZeroingSegments));
        Slots = new BlkSlot[size];
        for (int i = 0; i < size; i++)
        {
            Slots[i] = new BlkSlot((ushort)i, MaxSegments, BlkLimits.MaxZeroingSegments, _memory.Slot(i));
        }
    }

    /// <summary>The ring size the table is for.</summary>
    public ushort Size { get; }

    /// <summary>Segments per slot.</summary>
    public int MaxSegments { get; }

    /// <summary>One per ring entry, by index.</summary>
    public BlkSlot[] Slots { get; }

    /// <summary>Unmaps the slots' storage; no slot may be used after.</summary>
    public void Dispose() => _memory.Dispose();
}
