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

    /// <summary>VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP.</summary>
    public const uint WriteZeroesFlagUnmap = 1;
}
