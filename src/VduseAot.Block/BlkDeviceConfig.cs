namespace VduseAot.Block;

/// <summary>
/// The block device as it is offered, fixed once the backend is open: what the user asked for
/// (<see cref="BlkDeviceOptions"/>) with the backend's facts folded in (read-only, which optional
/// commands it serves). The capacity is not here: the backend owns it, a resize changes it there,
/// and an NBD or NVMe/TCP server tells it.
/// </summary>
public sealed record BlkDeviceConfig
{
    /// <summary>512 or 4096.</summary>
    public uint LogicalBlockSize { get; init; } = 512;

    /// <summary>Virtqueues (request queues).</summary>
    public ushort Queues { get; init; } = 1;

    /// <summary>Largest ring the driver may choose (a power of two).</summary>
    public ushort QueueSize { get; init; } = 256;

    /// <summary>Offer VIRTIO_F_RING_PACKED: the driver may choose the packed ring layout.</summary>
    public bool Packed { get; init; }

    /// <summary>Offer VIRTIO_BLK_F_RO and refuse writes.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Optional commands offered (what the backend serves).</summary>
    public BlkBackendFeatures Features { get; init; }

    /// <summary>GET_ID answer, at most 20 bytes.</summary>
    public string Serial { get; init; } = "";

    /// <summary>The backend's preferred shape of requests.</summary>
    public BlkTopology Topology { get; init; } = BlkTopology.None;

    /// <summary>The configuration for <paramref name="asked"/> served by <paramref name="backend"/>, once it is open.</summary>
    public static BlkDeviceConfig For(BlkDeviceOptions asked, IBlockBackend backend)
    {
        System.ArgumentNullException.ThrowIfNull(asked);
        System.ArgumentNullException.ThrowIfNull(backend);
        return new BlkDeviceConfig
        {
            LogicalBlockSize = asked.LogicalBlockSize,
            Queues = asked.Queues,
            QueueSize = asked.QueueSize,
            Packed = asked.Packed,
            ReadOnly = backend.ReadOnly, // the backend knows whether the user's read-write file could be opened so
            Features = backend.Features,
            Serial = asked.Serial,
            Topology = backend.Topology,
        };
    }
}
