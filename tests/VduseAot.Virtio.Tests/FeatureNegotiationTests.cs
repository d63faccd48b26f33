using VduseAot.Interop;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// Feature negotiation (virtio 1.2 section 3.1.1): a driver may accept a subset of what the device
/// offered; more is refused. vhost-vdpa and VDUSE pass any driver features through, so this is the
/// only place a driver setting VIRTIO_F_RING_PACKED on a split-only device is stopped.
/// </summary>
public sealed class FeatureNegotiationTests
{
    private const ulong Offered = (1UL << VirtioConstants.VIRTIO_F_VERSION_1) | (1UL << VirtioConstants.VIRTIO_F_ACCESS_PLATFORM)
        | (1UL << VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC) | (1UL << VirtioBlk.VIRTIO_BLK_F_FLUSH);

    [Theory]
    [InlineData(Offered)]
    [InlineData((1UL << VirtioConstants.VIRTIO_F_VERSION_1) | (1UL << VirtioConstants.VIRTIO_F_ACCESS_PLATFORM))]
    [InlineData(0UL)]
    public void ASubsetIsAccepted(ulong accepted) => Assert.Null(FeatureNegotiation.Refusal(Offered, accepted));

    [Fact]
    public void PackedOnASplitOnlyDeviceIsRefusedNamingTheBit()
    {
        string? refusal = FeatureNegotiation.Refusal(Offered, Offered | (1UL << VirtioConstants.VIRTIO_F_RING_PACKED));
        Assert.NotNull(refusal);
        Assert.Contains("0x400000000 the device did not offer", refusal, System.StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheUnofferedBitsAreNamed()
    {
        string? refusal = FeatureNegotiation.Refusal(Offered, Offered | (1UL << 50) | (1UL << 63));
        Assert.StartsWith("the driver accepted features 0x8004000000000000 ", refusal, System.StringComparison.Ordinal);
    }
}
