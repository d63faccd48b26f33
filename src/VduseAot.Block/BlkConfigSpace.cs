using VduseAot.Interop;

namespace VduseAot.Block;

/// <summary>The feature bits and virtio_blk_config a device with a given configuration offers.</summary>
public static class BlkConfigSpace
{
    /// <summary>Largest data segment announced in size_max.</summary>
    public const uint SizeMax = 1u << 20;

    /// <summary>Segments a request may have (see <see cref="BlkLimits.SegMax"/>).</summary>
    public static uint SegMax(BlkDeviceConfig options) => BlkLimits.SegMax(options.QueueSize);

    /// <summary>
    /// Features offered. VDUSE requires VERSION_1 and ACCESS_PLATFORM and rejects CONFIG_WCE for block
    /// devices. The split ring serves indirect descriptors and event-index notification suppression.
    /// </summary>
    public static ulong Features(BlkDeviceConfig options)
    {
        ulong f = Bit(VirtioConstants.VIRTIO_F_VERSION_1) | Bit(VirtioConstants.VIRTIO_F_ACCESS_PLATFORM)
            | Bit(VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC) | Bit(VirtioConstants.VIRTIO_RING_F_EVENT_IDX)
            | Bit(VirtioBlk.VIRTIO_BLK_F_SIZE_MAX) | Bit(VirtioBlk.VIRTIO_BLK_F_SEG_MAX)
            | Bit(VirtioBlk.VIRTIO_BLK_F_BLK_SIZE) | Bit(VirtioBlk.VIRTIO_BLK_F_FLUSH)
            | Bit(VirtioBlk.VIRTIO_BLK_F_TOPOLOGY);
        if (options.ReadOnly)
        {
            f |= Bit(VirtioBlk.VIRTIO_BLK_F_RO);
        }

        if (options.Queues > 1)
        {
            f |= Bit(VirtioBlk.VIRTIO_BLK_F_MQ);
        }

        if (options.Packed)
        {
            f |= Bit(VirtioConstants.VIRTIO_F_RING_PACKED);
        }

        if ((options.Features & BlkBackendFeatures.Discard) != 0)
        {
            f |= Bit(VirtioBlk.VIRTIO_BLK_F_DISCARD);
        }

        if ((options.Features & BlkBackendFeatures.WriteZeroes) != 0)
        {
            f |= Bit(VirtioBlk.VIRTIO_BLK_F_WRITE_ZEROES);
        }

        return f;
    }

    /// <summary>The config space the driver reads, for a backend of <paramref name="capacityBytes"/>.</summary>
    public static virtio_blk_config Build(BlkDeviceConfig options, ulong capacityBytes)
    {
        System.ArgumentNullException.ThrowIfNull(options);
        uint block = options.LogicalBlockSize;
        BlkTopology t = options.Topology;

        // Only powers of two that are whole multiples of the logical block mean anything to the
        // driver's topology; anything else is left at the default rather than rounded into a lie.
        uint physical = Blocks(t.PhysicalBlockBytes, block);
        uint granularity = System.Math.Max(block, Blocks(t.DiscardGranularityBytes, block) * block);
        return new virtio_blk_config
        {
            capacity = capacityBytes / VirtioBlk.SECTOR_SIZE,
            size_max = t.MaxTransferBytes >= 4096 ? System.Math.Min(SizeMax, t.MaxTransferBytes) : SizeMax,
            seg_max = SegMax(options),
            blk_size = block,
            physical_block_exp = (byte)(physical > 1 ? System.Numerics.BitOperations.Log2(physical) : 0),
            alignment_offset = 0,
            min_io_size = (ushort)System.Math.Max(1u, physical),
            opt_io_size = Blocks(t.OptimalIoBytes, block),
            num_queues = options.Queues,
            max_discard_sectors = BlkLimits.MaxZeroingSectors,
            max_discard_seg = BlkLimits.MaxZeroingSegments,
            discard_sector_alignment = granularity / VirtioBlk.SECTOR_SIZE,
            max_write_zeroes_sectors = BlkLimits.MaxZeroingSectors,
            max_write_zeroes_seg = BlkLimits.MaxZeroingSegments,
            write_zeroes_may_unmap = 1,
        };
    }

    /// <summary>
    /// <paramref name="bytes"/> in logical blocks when it is a power-of-two multiple of <paramref name="block"/>
    /// no larger than 16 MiB (the config fields are narrow); 0 otherwise.
    /// </summary>
    private static uint Blocks(uint bytes, uint block) =>
        bytes > block && bytes <= (16u << 20) && System.Numerics.BitOperations.IsPow2(bytes) ? bytes / block : 0;

    private static ulong Bit(int bit) => 1UL << bit;
}
