namespace VduseAot.Virtio;

/// <summary>
/// Byte offsets and sizes of a split ring's areas (virtio 1.2 section 2.7): the descriptor table,
/// the avail ring (flags, idx, ring[size], used_event) and the used ring (flags, idx,
/// ring[size] of 8-byte elements, avail_event). The one place these numbers are written down.
/// </summary>
public static class SplitRingLayout
{
    /// <summary>Bytes of one descriptor-table entry (vring_desc).</summary>
    public const uint DescriptorBytes = 16;

    /// <summary>Offset of ring[0] in both the avail and the used ring (after flags and idx).</summary>
    public const uint RingEntriesOffset = 4;

    /// <summary>Bytes of one used-ring element (vring_used_elem).</summary>
    public const uint UsedElementBytes = 8;

    /// <summary>Bytes of a descriptor table of <paramref name="size"/> entries.</summary>
    public static uint DescriptorTableBytes(ushort size) => DescriptorBytes * size;

    /// <summary>Offset of avail ring entry <paramref name="index"/> in the avail ring.</summary>
    public static uint AvailRingOffset(uint index) => RingEntriesOffset + (2u * index);

    /// <summary>Offset of used_event, after the avail ring's entries (spec 2.7.7).</summary>
    public static uint UsedEventOffset(ushort size) => AvailRingOffset(size);

    /// <summary>Bytes of the avail ring, used_event included.</summary>
    public static uint AvailRingBytes(ushort size) => UsedEventOffset(size) + 2u;

    /// <summary>Offset of used ring element <paramref name="index"/> in the used ring.</summary>
    public static uint UsedRingOffset(uint index) => RingEntriesOffset + (UsedElementBytes * index);

    /// <summary>Offset of avail_event, after the used ring's elements (spec 2.7.7).</summary>
    public static uint AvailEventOffset(ushort size) => UsedRingOffset(size);

    /// <summary>Bytes of the used ring, avail_event included.</summary>
    public static uint UsedRingBytes(ushort size) => AvailEventOffset(size) + 2u;
}
