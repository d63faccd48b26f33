using VduseAot.Interop;

namespace VduseAot.Testing;

/// <summary>Short names for the virtio-blk request types and status bytes the tests write again and again (<c>using static</c>).</summary>
public static class BlkCodes
{
    /// <summary>VIRTIO_BLK_T_IN: read.</summary>
    public const uint IN = VirtioBlk.VIRTIO_BLK_T_IN;

    /// <summary>VIRTIO_BLK_T_OUT: write.</summary>
    public const uint OUT = VirtioBlk.VIRTIO_BLK_T_OUT;

    /// <summary>VIRTIO_BLK_S_OK.</summary>
    public const byte OK = VirtioBlk.VIRTIO_BLK_S_OK;

    /// <summary>VIRTIO_BLK_S_IOERR.</summary>
    public const byte IOERR = VirtioBlk.VIRTIO_BLK_S_IOERR;

    /// <summary>VIRTIO_BLK_S_UNSUPP.</summary>
    public const byte UNSUPP = VirtioBlk.VIRTIO_BLK_S_UNSUPP;
}
