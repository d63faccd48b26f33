namespace VduseAot.Block;

/// <summary>
/// What the user asked the block device to look like, as parsed; the backend is opened from it, and
/// <see cref="BlkDeviceConfig.For"/> then fixes what is offered.
/// </summary>
public sealed class BlkDeviceOptions
{
    /// <summary>Size asked for with --ram or --null (a multiple of the logical block size); the served capacity is the backend's.</summary>
    public ulong CapacityBytes { get; set; }

    /// <summary>512 or 4096.</summary>
    public uint LogicalBlockSize { get; set; } = 512;

    /// <summary>Virtqueues (request queues).</summary>
    public ushort Queues { get; set; } = 1;

    /// <summary>Largest ring the driver may choose (a power of two).</summary>
    public ushort QueueSize { get; set; } = 256;

    /// <summary>Offer VIRTIO_F_RING_PACKED: the driver may choose the packed ring layout.</summary>
    public bool Packed { get; set; }

    /// <summary>--read-only: open the backend read-only and offer VIRTIO_BLK_F_RO.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>GET_ID answer, at most 20 bytes.</summary>
    public string Serial { get; set; } = "";
}
