using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace VduseAot.Network;

/// <summary>
/// A bounded single-producer single-consumer queue of 32-bit entries between two threads, lock-free:
/// the producer owns the tail, the consumer the head, and each publishes its index with a release
/// store the other reads with an acquire load. Used where a queue thread hands requests to a
/// connection thread and gets completions back; its capacity is sized so it cannot fill (at most one
/// entry per request slot), so a full ring is a bug and throws.
/// </summary>
public sealed class SpscRing
{
    private readonly uint[] _items;
    private readonly int _mask;
    private Indexes _indexes;

    /// <summary>A ring holding at least <paramref name="capacity"/> entries.</summary>
    public SpscRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _items = new uint[size];
        _mask = size - 1;
    }

    /// <summary>Producer: appends <paramref name="value"/>.</summary>
    public void Push(uint value)
    {
        long tail = _indexes.Tail;

        // Observes the consumer's head store: the entry there was read before the head moved past it.
        if (tail - Volatile.Read(ref _indexes.Head) > _mask)
        {
            throw new InvalidOperationException("SPSC ring full: more entries in flight than it was sized for");
        }

        _items[tail & _mask] = value;

        // Publishes the entry: a consumer that sees the new tail sees the value (and whatever the
        // producer wrote before it, such as the request slot the entry names).
        Volatile.Write(ref _indexes.Tail, tail + 1);
    }

    /// <summary>Consumer: takes the oldest entry; false when the ring is empty.</summary>
    public bool TryPop(out uint value)
    {
        long head = _indexes.Head;

        // Observes the producer's tail store, and with it the entry and what was written before it.
        if (head == Volatile.Read(ref _indexes.Tail))
        {
            value = 0;
            return false;
        }

        value = _items[head & _mask];

        // Hands the place back to the producer only after the entry was read.
        Volatile.Write(ref _indexes.Head, head + 1);
        return true;
    }

    /// <summary>True when nothing is waiting (exact on the consumer, a snapshot elsewhere).</summary>
    public bool IsEmpty => Volatile.Read(ref _indexes.Head) == Volatile.Read(ref _indexes.Tail);

    // Head and tail on their own cache lines: the two threads write one each, and sharing a line would
    // bounce it between their CPUs on every entry.
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Indexes
    {
        [FieldOffset(64)]
        public long Head;

        [FieldOffset(128)]
        public long Tail;
    }
}
