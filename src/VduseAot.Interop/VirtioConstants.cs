// Ours: Tmds.LibC has nothing of the virtio uapi headers.

namespace VduseAot.Interop;

/// <summary>Virtio constants: feature bits, status bits, ring flags (virtio_config.h, virtio_ring.h, virtio_ids.h).</summary>
public static class VirtioConstants
{
    /// <summary>VIRTIO_ID_BLOCK.</summary>
    public const uint VIRTIO_ID_BLOCK = 2;

    /// <summary>VIRTIO_CONFIG_S_ACKNOWLEDGE.</summary>
    public const byte VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
    /// <summary>VIRTIO_CONFIG_S_DRIVER.</summary>
    public const byte VIRTIO_CONFIG_S_DRIVER = 2;
    /// <summary>VIRTIO_CONFIG_S_DRIVER_OK.</summary>
    public const byte VIRTIO_CONFIG_S_DRIVER_OK = 4;
    /// <summary>VIRTIO_CONFIG_S_FEATURES_OK.</summary>
    public const byte VIRTIO_CONFIG_S_FEATURES_OK = 8;
    /// <summary>VIRTIO_CONFIG_S_NEEDS_RESET.</summary>
    public const byte VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
    /// <summary>VIRTIO_CONFIG_S_FAILED.</summary>
    public const byte VIRTIO_CONFIG_S_FAILED = 0x80;

    /// <summary>VIRTIO_RING_F_INDIRECT_DESC (bit).</summary>
    public const int VIRTIO_RING_F_INDIRECT_DESC = 28;
    /// <summary>VIRTIO_RING_F_EVENT_IDX (bit).</summary>
    public const int VIRTIO_RING_F_EVENT_IDX = 29;
    /// <summary>VIRTIO_F_VERSION_1 (bit).</summary>
    public const int VIRTIO_F_VERSION_1 = 32;
    /// <summary>VIRTIO_F_ACCESS_PLATFORM (bit).</summary>
    public const int VIRTIO_F_ACCESS_PLATFORM = 33;
    /// <summary>VIRTIO_F_RING_PACKED (bit).</summary>
    public const int VIRTIO_F_RING_PACKED = 34;

    /// <summary>VRING_DESC_F_NEXT.</summary>
    public const ushort VRING_DESC_F_NEXT = 1;
    /// <summary>VRING_DESC_F_WRITE.</summary>
    public const ushort VRING_DESC_F_WRITE = 2;
    /// <summary>VRING_DESC_F_INDIRECT.</summary>
    public const ushort VRING_DESC_F_INDIRECT = 4;
    /// <summary>VRING_USED_F_NO_NOTIFY.</summary>
    public const ushort VRING_USED_F_NO_NOTIFY = 1;
    /// <summary>VRING_PACKED_DESC_F_AVAIL (bit number).</summary>
    public const int VRING_PACKED_DESC_F_AVAIL = 7;
    /// <summary>VRING_PACKED_DESC_F_USED (bit number).</summary>
    public const int VRING_PACKED_DESC_F_USED = 15;
    /// <summary>VRING_PACKED_EVENT_FLAG_ENABLE.</summary>
    public const ushort VRING_PACKED_EVENT_FLAG_ENABLE = 0;
    /// <summary>VRING_PACKED_EVENT_FLAG_DISABLE.</summary>
    public const ushort VRING_PACKED_EVENT_FLAG_DISABLE = 1;
    /// <summary>VRING_PACKED_EVENT_FLAG_DESC.</summary>
    public const ushort VRING_PACKED_EVENT_FLAG_DESC = 2;
    /// <summary>VRING_PACKED_EVENT_F_WRAP_CTR (bit number).</summary>
    public const int VRING_PACKED_EVENT_F_WRAP_CTR = 15;
    /// <summary>VRING_AVAIL_F_NO_INTERRUPT.</summary>
    public const ushort VRING_AVAIL_F_NO_INTERRUPT = 1;
}

/// <summary>virtio-blk feature bits, request types and status values (virtio_blk.h).</summary>
public static class VirtioBlk
{
    /// <summary>VIRTIO_BLK_F_SIZE_MAX (bit).</summary>
    public const int VIRTIO_BLK_F_SIZE_MAX = 1;
    /// <summary>VIRTIO_BLK_F_SEG_MAX (bit).</summary>
    public const int VIRTIO_BLK_F_SEG_MAX = 2;
    /// <summary>VIRTIO_BLK_F_GEOMETRY (bit).</summary>
    public const int VIRTIO_BLK_F_GEOMETRY = 4;
    /// <summary>VIRTIO_BLK_F_RO (bit).</summary>
    public const int VIRTIO_BLK_F_RO = 5;
    /// <summary>VIRTIO_BLK_F_BLK_SIZE (bit).</summary>
    public const int VIRTIO_BLK_F_BLK_SIZE = 6;
    /// <summary>VIRTIO_BLK_F_FLUSH (bit).</summary>
    public const int VIRTIO_BLK_F_FLUSH = 9;
    /// <summary>VIRTIO_BLK_F_TOPOLOGY (bit).</summary>
    public const int VIRTIO_BLK_F_TOPOLOGY = 10;
    /// <summary>VIRTIO_BLK_F_CONFIG_WCE (bit).</summary>
    public const int VIRTIO_BLK_F_CONFIG_WCE = 11;
    /// <summary>VIRTIO_BLK_F_MQ (bit).</summary>
    public const int VIRTIO_BLK_F_MQ = 12;
    /// <summary>VIRTIO_BLK_F_DISCARD (bit).</summary>
    public const int VIRTIO_BLK_F_DISCARD = 13;
    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES (bit).</summary>
    public const int VIRTIO_BLK_F_WRITE_ZEROES = 14;

    /// <summary>VIRTIO_BLK_T_IN: read.</summary>
    public const uint VIRTIO_BLK_T_IN = 0;
    /// <summary>VIRTIO_BLK_T_OUT: write.</summary>
    public const uint VIRTIO_BLK_T_OUT = 1;
    /// <summary>VIRTIO_BLK_T_FLUSH.</summary>
    public const uint VIRTIO_BLK_T_FLUSH = 4;
    /// <summary>VIRTIO_BLK_T_GET_ID: the serial.</summary>
    public const uint VIRTIO_BLK_T_GET_ID = 8;
    /// <summary>VIRTIO_BLK_T_DISCARD.</summary>
    public const uint VIRTIO_BLK_T_DISCARD = 11;
    /// <summary>VIRTIO_BLK_T_WRITE_ZEROES.</summary>
    public const uint VIRTIO_BLK_T_WRITE_ZEROES = 13;

    /// <summary>VIRTIO_BLK_S_OK.</summary>
    public const byte VIRTIO_BLK_S_OK = 0;
    /// <summary>VIRTIO_BLK_S_IOERR.</summary>
    public const byte VIRTIO_BLK_S_IOERR = 1;
    /// <summary>VIRTIO_BLK_S_UNSUPP.</summary>
    public const byte VIRTIO_BLK_S_UNSUPP = 2;

    /// <summary>VIRTIO_BLK_ID_BYTES: serial length.</summary>
    public const int VIRTIO_BLK_ID_BYTES = 20;
    /// <summary>Sector size the protocol counts in, whatever the logical block size.</summary>
    public const int SECTOR_SIZE = 512;
}
