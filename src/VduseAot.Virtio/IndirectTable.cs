using System.Runtime.CompilerServices;
using VduseAot.Interop;

namespace VduseAot.Virtio;

/// <summary>
/// Walks an indirect descriptor table (spec 2.7.5.3, 2.8.7) into a chain: a driver buffer of 16-byte
/// descriptors, in the split layout (vring_desc, linked by NEXT and next) or the packed one
/// (vring_packed_desc, read in order, NEXT ignored). Both layouts' queues walk their tables here.
/// </summary>
internal static unsafe class IndirectTable
{
    private const uint EntryBytes = 16;

    /// <summary>
    /// Appends the descriptors of the table at <paramref name="addr"/> (<paramref name="length"/> bytes)
    /// to <paramref name="chain"/>. <paramref name="linked"/>: split layout, entries linked from entry 0;
    /// otherwise packed layout, every entry in order. Returns the first mistake found, or none.
    /// </summary>
    public static ChainError Walk<TMem>(ref TMem memory, ulong addr, uint length, ushort queueSize, bool linked, DescriptorChain chain)
        where TMem : struct, IGuestMemory
    {
        // A table holds at most a queue's worth of descriptors (Linux fills up to seg_max + 2 = size).
        if (length == 0 || length % EntryBytes != 0 || length / EntryBytes > queueSize)
        {
            return ChainError.BadIndirectTable;
        }

        uint count = length / EntryBytes;
        uint index = 0;
        for (uint step = 0; ; step++)
        {
            if (step == count)
            {
                // Packed: every entry read. Split: the table's own length bounds the walk, so more
                // steps than entries means a loop.
                return linked ? ChainError.TooLong : ChainError.None;
            }

            // Entries are translated one by one: the table is a driver buffer and may cross regions.
            byte* entry = memory.Translate(addr + (index * EntryBytes), EntryBytes, false, out uint contiguous);
            if (entry == null || contiguous < EntryBytes)
            {
                return ChainError.UnmappedAddress;
            }

            vring_desc d = Read(entry, linked);
            chain.DescriptorCount++;
            if ((d.flags & VirtioConstants.VRING_DESC_F_INDIRECT) != 0)
            {
                return ChainError.NestedIndirect;
            }

            ChainError error = chain.AppendDescriptor(ref memory, d.addr, d.len, d.flags);
            if (error != ChainError.None)
            {
                return error;
            }

            if (!linked)
            {
                index++;
                continue;
            }

            if ((d.flags & VirtioConstants.VRING_DESC_F_NEXT) == 0)
            {
                return ChainError.None;
            }

            if (d.next >= count)
            {
                return ChainError.IndexOutOfRange;
            }

            index = d.next;
        }
    }

    /// <summary>One entry, copied once (the driver owns the table and a second read could differ), as a split descriptor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static vring_desc Read(byte* entry, bool linked)
    {
        if (linked)
        {
            return Unsafe.ReadUnaligned<vring_desc>(entry);
        }

        vring_packed_desc p = Unsafe.ReadUnaligned<vring_packed_desc>(entry);
        return new vring_desc { addr = p.addr, len = p.len, flags = p.flags };
    }
}
