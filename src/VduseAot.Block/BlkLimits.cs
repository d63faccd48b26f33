namespace VduseAot.Block;

/// <summary>Limits announced in the config space for DISCARD and WRITE_ZEROES, and enforced on requests.</summary>
public static class BlkLimits
{
    /// <summary>max_discard_sectors and max_write_zeroes_sectors: 2 GiB per segment.</summary>
    public const uint MaxZeroingSectors = 1u << 22;

    /// <summary>max_discard_seg and max_write_zeroes_seg.</summary>
    public const int MaxZeroingSegments = 16;

    /// <summary>Bytes of one struct virtio_blk_discard_write_zeroes.</summary>
    public const int RangeBytes = 16;

    /// <summary>
    /// Largest seg_max offered: 254 data segments (1 MiB of 4 KiB pages, more with larger ones) is what
    /// a 256-entry queue allows, and every request slot is sized for it up front, so a larger queue
    /// does not multiply the memory of every slot.
    /// </summary>
    public const uint MaxSegMax = 254;

    /// <summary>Data segments a request may have on a queue of <paramref name="queueSize"/> entries: the queue minus header and status, at most <see cref="MaxSegMax"/>.</summary>
    public static uint SegMax(int queueSize) => queueSize > 2 ? System.Math.Min((uint)queueSize - 2, MaxSegMax) : 1u;

    /// <summary>
    /// Segments a request slot holds per direction: header, status and seg_max data descriptors, each
    /// possibly split in two where it crosses an IOVA region boundary, plus room for a few more. A
    /// chain beyond it fails with IOERR (the driver broke seg_max).
    /// </summary>
    public static int SlotSegments(int queueSize) => (2 * ((int)SegMax(queueSize) + 2)) + 8;

    /// <summary>VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP.</summary>
    public const uint WriteZeroesFlagUnmap = 1;
}
