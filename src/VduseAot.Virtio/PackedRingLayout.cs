namespace VduseAot.Virtio;

/// <summary>Sizes of a packed ring's areas (virtio 1.2 section 2.8): the descriptor ring and the two event suppression areas.</summary>
public static class PackedRingLayout
{
    /// <summary>Bytes of one ring descriptor (vring_packed_desc).</summary>
    public const uint DescriptorBytes = 16;

    /// <summary>Bytes of an event suppression area (off_wrap and flags).</summary>
    public const uint EventAreaBytes = 4;

    /// <summary>Bytes of a descriptor ring of <paramref name="size"/> entries.</summary>
    public static uint RingBytes(ushort size) => DescriptorBytes * size;
}
