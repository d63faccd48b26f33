namespace VduseAot.Interop;

/// <summary>
/// linux/vhost.h and linux/vhost_types.h as a vhost-vdpa driver uses them (the tests' userspace
/// driver of /dev/vhost-vdpa-N). Request numbers are built like the kernel's macros.
/// </summary>
public static unsafe class VhostUapi
{
    /// <summary>VHOST_VIRTIO: the ioctl type.</summary>
    public const uint VHOST_VIRTIO = 0xAF;

    /// <summary>VHOST_GET_FEATURES: _IOR(VHOST_VIRTIO, 0x00, __u64).</summary>
    public static readonly int VHOST_GET_FEATURES = Ioctl.IOR(VHOST_VIRTIO, 0x00, sizeof(ulong));

    /// <summary>VHOST_SET_FEATURES: _IOW(VHOST_VIRTIO, 0x00, __u64).</summary>
    public static readonly int VHOST_SET_FEATURES = Ioctl.IOW(VHOST_VIRTIO, 0x00, sizeof(ulong));

    /// <summary>VHOST_SET_OWNER: _IO(VHOST_VIRTIO, 0x01).</summary>
    public static readonly int VHOST_SET_OWNER = Ioctl.IO(VHOST_VIRTIO, 0x01);

    /// <summary>VHOST_SET_VRING_NUM: _IOW(VHOST_VIRTIO, 0x10, struct vhost_vring_state).</summary>
    public static readonly int VHOST_SET_VRING_NUM = Ioctl.IOW(VHOST_VIRTIO, 0x10, (uint)sizeof(vhost_vring_state));

    /// <summary>VHOST_SET_VRING_ADDR: _IOW(VHOST_VIRTIO, 0x11, struct vhost_vring_addr).</summary>
    public static readonly int VHOST_SET_VRING_ADDR = Ioctl.IOW(VHOST_VIRTIO, 0x11, (uint)sizeof(vhost_vring_addr));

    /// <summary>VHOST_SET_VRING_BASE: _IOW(VHOST_VIRTIO, 0x12, struct vhost_vring_state).</summary>
    public static readonly int VHOST_SET_VRING_BASE = Ioctl.IOW(VHOST_VIRTIO, 0x12, (uint)sizeof(vhost_vring_state));

    /// <summary>VHOST_GET_VRING_BASE: _IOWR(VHOST_VIRTIO, 0x12, struct vhost_vring_state).</summary>
    public static readonly int VHOST_GET_VRING_BASE = Ioctl.IOWR(VHOST_VIRTIO, 0x12, (uint)sizeof(vhost_vring_state));

    /// <summary>VHOST_SET_VRING_KICK: _IOW(VHOST_VIRTIO, 0x20, struct vhost_vring_file).</summary>
    public static readonly int VHOST_SET_VRING_KICK = Ioctl.IOW(VHOST_VIRTIO, 0x20, (uint)sizeof(vhost_vring_file));

    /// <summary>VHOST_SET_VRING_CALL: _IOW(VHOST_VIRTIO, 0x21, struct vhost_vring_file).</summary>
    public static readonly int VHOST_SET_VRING_CALL = Ioctl.IOW(VHOST_VIRTIO, 0x21, (uint)sizeof(vhost_vring_file));

    /// <summary>VHOST_SET_BACKEND_FEATURES: _IOW(VHOST_VIRTIO, 0x25, __u64).</summary>
    public static readonly int VHOST_SET_BACKEND_FEATURES = Ioctl.IOW(VHOST_VIRTIO, 0x25, sizeof(ulong));

    /// <summary>VHOST_GET_BACKEND_FEATURES: _IOR(VHOST_VIRTIO, 0x26, __u64).</summary>
    public static readonly int VHOST_GET_BACKEND_FEATURES = Ioctl.IOR(VHOST_VIRTIO, 0x26, sizeof(ulong));

    /// <summary>VHOST_VDPA_GET_DEVICE_ID: _IOR(VHOST_VIRTIO, 0x70, __u32).</summary>
    public static readonly int VHOST_VDPA_GET_DEVICE_ID = Ioctl.IOR(VHOST_VIRTIO, 0x70, sizeof(uint));

    /// <summary>VHOST_VDPA_GET_STATUS: _IOR(VHOST_VIRTIO, 0x71, __u8).</summary>
    public static readonly int VHOST_VDPA_GET_STATUS = Ioctl.IOR(VHOST_VIRTIO, 0x71, sizeof(byte));

    /// <summary>VHOST_VDPA_SET_STATUS: _IOW(VHOST_VIRTIO, 0x72, __u8).</summary>
    public static readonly int VHOST_VDPA_SET_STATUS = Ioctl.IOW(VHOST_VIRTIO, 0x72, sizeof(byte));

    /// <summary>VHOST_VDPA_SET_VRING_ENABLE: _IOW(VHOST_VIRTIO, 0x75, struct vhost_vring_state).</summary>
    public static readonly int VHOST_VDPA_SET_VRING_ENABLE = Ioctl.IOW(VHOST_VIRTIO, 0x75, (uint)sizeof(vhost_vring_state));

    /// <summary>VHOST_VDPA_GET_VRING_NUM: _IOR(VHOST_VIRTIO, 0x76, __u16).</summary>
    public static readonly int VHOST_VDPA_GET_VRING_NUM = Ioctl.IOR(VHOST_VIRTIO, 0x76, sizeof(ushort));

    /// <summary>vhost_msg_v2.type of an IOTLB message.</summary>
    public const uint VHOST_IOTLB_MSG_V2 = 0x2;

    /// <summary>vhost_iotlb_msg.type: map the range.</summary>
    public const byte VHOST_IOTLB_UPDATE = 2;

    /// <summary>vhost_iotlb_msg.type: unmap the range.</summary>
    public const byte VHOST_IOTLB_INVALIDATE = 3;

    /// <summary>vhost_iotlb_msg.perm: the device may read.</summary>
    public const byte VHOST_ACCESS_RO = 0x1;

    /// <summary>vhost_iotlb_msg.perm: the device may write.</summary>
    public const byte VHOST_ACCESS_WO = 0x2;

    /// <summary>vhost_iotlb_msg.perm: both.</summary>
    public const byte VHOST_ACCESS_RW = 0x3;

    /// <summary>Backend feature bit: IOTLB messages are struct vhost_msg_v2.</summary>
    public const int VHOST_BACKEND_F_IOTLB_MSG_V2 = 0x1;
}
