using System;
using VduseAot.Interop;
using Xunit;

namespace VduseAot.Block.Tests;

public sealed class BlkConfigSpaceTests
{
    private static bool Has(ulong features, int bit) => (features & (1UL << bit)) != 0;

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 2)]
    public void Features_always_offer_the_base_set_and_never_config_wce(bool readOnly, int queues)
    {
        ulong f = BlkConfigSpace.Features(new BlkDeviceConfig { ReadOnly = readOnly, Queues = (ushort)queues });
        Assert.True(Has(f, 32), "VIRTIO_F_VERSION_1");
        Assert.True(Has(f, 33), "VIRTIO_F_ACCESS_PLATFORM");
        Assert.True(Has(f, VirtioBlk.VIRTIO_BLK_F_FLUSH));
        Assert.True(Has(f, VirtioBlk.VIRTIO_BLK_F_BLK_SIZE));
        Assert.True(Has(f, VirtioBlk.VIRTIO_BLK_F_SEG_MAX));
        Assert.True(Has(f, VirtioBlk.VIRTIO_BLK_F_SIZE_MAX));
        Assert.True(Has(f, VirtioBlk.VIRTIO_BLK_F_TOPOLOGY));
        Assert.False(Has(f, 11), "VIRTIO_BLK_F_CONFIG_WCE");
        Assert.Equal(readOnly, Has(f, VirtioBlk.VIRTIO_BLK_F_RO));
        Assert.Equal(queues > 1, Has(f, VirtioBlk.VIRTIO_BLK_F_MQ));

        // The split ring serves indirect tables and event-index suppression.
        Assert.True(Has(f, 28), "VIRTIO_RING_F_INDIRECT_DESC");
        Assert.True(Has(f, 29), "VIRTIO_RING_F_EVENT_IDX");

        // Packed only when asked for (--packed); geometry is not implemented, so never offered;
        // DISCARD/WRITE_ZEROES only when the backend serves them.
        Assert.False(Has(f, VirtioConstants.VIRTIO_F_RING_PACKED));
        Assert.True(Has(BlkConfigSpace.Features(new BlkDeviceConfig { Packed = true }), VirtioConstants.VIRTIO_F_RING_PACKED));
        Assert.False(Has(f, VirtioBlk.VIRTIO_BLK_F_DISCARD));
        Assert.False(Has(f, VirtioBlk.VIRTIO_BLK_F_WRITE_ZEROES));
        Assert.False(Has(f, VirtioBlk.VIRTIO_BLK_F_GEOMETRY));
        ulong withZeroing = BlkConfigSpace.Features(new BlkDeviceConfig
        {
            Features = BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes,
        });
        Assert.True(Has(withZeroing, VirtioBlk.VIRTIO_BLK_F_DISCARD));
        Assert.True(Has(withZeroing, VirtioBlk.VIRTIO_BLK_F_WRITE_ZEROES));
    }

    [Theory]
    [InlineData(512u, 4096u, 65536u, 65536u, 3, 8, 128u, 65536u, 128u)]
    [InlineData(4096u, 4096u, 65536u, 65536u, 0, 1, 16u, 65536u, 128u)]
    [InlineData(512u, 3000u, 100000u, 2048u, 0, 1, 0u, 1u << 20, 1u)] // not powers of two, a tiny maximum: defaults
    [InlineData(512u, 0u, 0u, 0u, 0, 1, 0u, 1u << 20, 1u)]
    public void Config_space_takes_the_backends_topology(uint block, uint physical, uint optimal, uint maxTransfer,
        int exp, int minIo, uint optIo, uint sizeMax, uint discardAlignment)
    {
        var o = new BlkDeviceConfig
        {
            LogicalBlockSize = block,
            Topology = new BlkTopology { PhysicalBlockBytes = physical, OptimalIoBytes = optimal, MaxTransferBytes = maxTransfer, DiscardGranularityBytes = optimal },
        };
        virtio_blk_config c = BlkConfigSpace.Build(o, 1 << 30);
        Assert.Equal(exp, c.physical_block_exp);
        Assert.Equal(minIo, c.min_io_size);
        Assert.Equal(optIo, c.opt_io_size);
        Assert.Equal(sizeMax, c.size_max);
        Assert.Equal(Math.Max(discardAlignment, block / 512), c.discard_sector_alignment);
    }

    [Theory]
    [InlineData(1UL << 20, 512u, 1, 256)]
    [InlineData(64UL << 30, 4096u, 4, 128)]
    [InlineData(512UL, 512u, 16, 1024)]
    public void Config_space_reflects_the_options(ulong bytes, uint blockSize, int queues, int queueSize)
    {
        var o = new BlkDeviceConfig { LogicalBlockSize = blockSize, Queues = (ushort)queues, QueueSize = (ushort)queueSize };
        virtio_blk_config c = BlkConfigSpace.Build(o, bytes);
        Assert.Equal(bytes / 512, c.capacity);
        Assert.Equal(blockSize, c.blk_size);
        uint segMax = Math.Min((uint)queueSize - 2, BlkLimits.MaxSegMax);
        Assert.Equal(segMax, c.seg_max);
        Assert.Equal(segMax, BlkConfigSpace.SegMax(o));
        Assert.Equal(BlkConfigSpace.SizeMax, c.size_max);
        Assert.True(c.size_max >= 4096);
        Assert.Equal((ushort)queues, c.num_queues);
        Assert.Equal(0, c.wce);
        Assert.True(c.min_io_size >= 1);
    }

    [Theory]
    [InlineData(256, 520)]
    [InlineData(1024, 520)]
    [InlineData(32768, 520)]
    [InlineData(64, 136)]
    public void Request_slots_are_sized_for_seg_max_not_for_the_queue(int queueSize, int perSlot)
    {
        // A 1024-entry queue would otherwise hold 4x the segment arrays of a 256-entry one in every slot.
        Assert.Equal(perSlot, BlkLimits.SlotSegments(queueSize));
        Assert.True(BlkLimits.SlotSegments(queueSize) >= 2 * ((int)BlkLimits.SegMax(queueSize) + 2));
    }

    [Fact]
    public void Seg_max_never_exceeds_the_descriptors_a_queue_has()
    {
        // Every power of two is a legal queue size (BlkDeviceConfig.QueueSize); seg_max must not wrap around.
        for (int size = 1; size <= 32768; size *= 2)
        {
            var o = new BlkDeviceConfig { QueueSize = (ushort)size };
            Assert.True(BlkConfigSpace.SegMax(o) <= (uint)size, "queue size " + size + " gives seg_max " + BlkConfigSpace.SegMax(o));
        }
    }
}

public sealed class SizeTextTests
{
    [Theory]
    [InlineData("64M", 64UL << 20)]
    [InlineData("1G", 1UL << 30)]
    [InlineData("2T", 2UL << 40)]
    [InlineData("4096", 4096UL)]
    [InlineData("1k", 1024UL)]
    [InlineData("1K", 1024UL)]
    [InlineData("512m", 512UL << 20)]
    [InlineData("16777215T", 16777215UL << 40)] // the largest T value that fits
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void Parses_valid_sizes(string text, ulong expected)
    {
        Assert.True(SizeText.TryParse(text, out ulong bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1")]
    [InlineData("-1G")]
    [InlineData("+1G")]
    [InlineData("1.5G")]
    [InlineData("12X")]
    [InlineData("99999999999T")]
    [InlineData("16777216T")]
    [InlineData("18446744073709551616")]
    [InlineData(" 64M")]
    [InlineData("64 M")]
    [InlineData("64MB")]
    [InlineData("0x40")]
    public void Rejects_invalid_sizes(string text)
    {
        Assert.False(SizeText.TryParse(text, out ulong bytes));
        Assert.Equal(0UL, bytes);
    }

    [Theory]
    [InlineData(0UL, "0 B")]
    [InlineData(512UL, "512 B")]
    [InlineData(1536UL, "1.5 KiB")]
    [InlineData(64UL << 20, "64 MiB")]
    [InlineData(1UL << 30, "1 GiB")]
    [InlineData(2UL << 40, "2 TiB")]
    [InlineData(3UL << 50, "3 PiB")]
    public void Formats_readably(ulong bytes, string expected) => Assert.Equal(expected, SizeText.Format(bytes));

    [Theory]
    [InlineData("64M")]
    [InlineData("1G")]
    [InlineData("2T")]
    [InlineData("1k")]
    [InlineData("300")]
    public void Format_round_trips_through_parse(string text)
    {
        Assert.True(SizeText.TryParse(text, out ulong bytes));
        string shown = SizeText.Format(bytes);                  // "64 MiB"
        string back = shown.Replace(" B", "", System.StringComparison.Ordinal)
            .Replace("iB", "", System.StringComparison.Ordinal)
            .Replace(" ", "", System.StringComparison.Ordinal); // "64M"
        Assert.True(SizeText.TryParse(back, out ulong again), back);
        Assert.Equal(bytes, again);
    }

    [Fact]
    public void Ram_backend_describes_itself_with_format()
    {
        using var b = new RamBackend(64UL << 20, false);
        Assert.Equal("ram 64 MiB (process memory)", b.Describe());
        Assert.Equal(64UL << 20, b.CapacityBytes);
    }
}

public sealed class DeviceConfigTests
{
    [Fact]
    public void The_backend_decides_read_only_and_the_optional_commands_and_owns_the_capacity()
    {
        var asked = new BlkDeviceOptions { CapacityBytes = 1 << 20, LogicalBlockSize = 4096, Queues = 3, QueueSize = 128, Packed = true, Serial = "s1" };
        using var backend = new NullBackend(2 << 20, readOnly: true);
        BlkDeviceConfig config = BlkDeviceConfig.For(asked, backend);
        Assert.Equal(new BlkDeviceConfig
        {
            LogicalBlockSize = 4096,
            Queues = 3,
            QueueSize = 128,
            Packed = true,
            ReadOnly = true,
            Features = backend.Features,
            Serial = "s1",
        }, config);

        // A resize changes the backend, and the config space follows it: nothing else holds a capacity.
        BlkResize.Apply(backend, config.LogicalBlockSize, 4 << 20, force: false);
        Assert.Equal((4UL << 20) / 512, BlkConfigSpace.Build(config, backend.CapacityBytes).capacity);
    }
}
