// Ours: Tmds.LibC has nothing of linux/vduse.h.

namespace VduseAot.Interop;

/// <summary>VDUSE ioctl numbers, request types and constants from include/uapi/linux/vduse.h.</summary>
public static unsafe class VduseUapi
{
    /// <summary>VDUSE_BASE, the ioctl type byte.</summary>
    public const uint VDUSE_BASE = 0x81;
    /// <summary>VDUSE_API_VERSION this code speaks.</summary>
    public const ulong VDUSE_API_VERSION = 0;

    /// <summary>VDUSE_GET_API_VERSION: _IOR(VDUSE_BASE, 0x00, __u64).</summary>
    public static readonly int VDUSE_GET_API_VERSION = Ioctl.IOR(VDUSE_BASE, 0x00, sizeof(ulong));
    /// <summary>VDUSE_SET_API_VERSION: _IOW(VDUSE_BASE, 0x01, __u64).</summary>
    public static readonly int VDUSE_SET_API_VERSION = Ioctl.IOW(VDUSE_BASE, 0x01, sizeof(ulong));
    /// <summary>VDUSE_CREATE_DEV: _IOW(VDUSE_BASE, 0x02, struct vduse_dev_config).</summary>
    public static readonly int VDUSE_CREATE_DEV = Ioctl.IOW(VDUSE_BASE, 0x02, (uint)sizeof(vduse_dev_config));
    /// <summary>VDUSE_DESTROY_DEV: _IOW(VDUSE_BASE, 0x03, char[VDUSE_NAME_MAX]).</summary>
    public static readonly int VDUSE_DESTROY_DEV = Ioctl.IOW(VDUSE_BASE, 0x03, vduse_dev_config.VDUSE_NAME_MAX);
    /// <summary>VDUSE_IOTLB_GET_FD: _IOWR(VDUSE_BASE, 0x10, struct vduse_iotlb_entry).</summary>
    public static readonly int VDUSE_IOTLB_GET_FD = Ioctl.IOWR(VDUSE_BASE, 0x10, (uint)sizeof(vduse_iotlb_entry));
    /// <summary>VDUSE_DEV_GET_FEATURES: _IOR(VDUSE_BASE, 0x11, __u64).</summary>
    public static readonly int VDUSE_DEV_GET_FEATURES = Ioctl.IOR(VDUSE_BASE, 0x11, sizeof(ulong));
    /// <summary>VDUSE_DEV_SET_CONFIG: _IOW(VDUSE_BASE, 0x12, struct vduse_config_data).</summary>
    public static readonly int VDUSE_DEV_SET_CONFIG = Ioctl.IOW(VDUSE_BASE, 0x12, (uint)sizeof(vduse_config_data));
    /// <summary>VDUSE_DEV_INJECT_CONFIG_IRQ: _IO(VDUSE_BASE, 0x13).</summary>
    public static readonly int VDUSE_DEV_INJECT_CONFIG_IRQ = Ioctl.IO(VDUSE_BASE, 0x13);
    /// <summary>VDUSE_VQ_SETUP: _IOW(VDUSE_BASE, 0x14, struct vduse_vq_config).</summary>
    public static readonly int VDUSE_VQ_SETUP = Ioctl.IOW(VDUSE_BASE, 0x14, (uint)sizeof(vduse_vq_config));
    /// <summary>VDUSE_VQ_GET_INFO: _IOWR(VDUSE_BASE, 0x15, struct vduse_vq_info).</summary>
    public static readonly int VDUSE_VQ_GET_INFO = Ioctl.IOWR(VDUSE_BASE, 0x15, (uint)sizeof(vduse_vq_info));
    /// <summary>VDUSE_VQ_SETUP_KICKFD: _IOW(VDUSE_BASE, 0x16, struct vduse_vq_eventfd).</summary>
    public static readonly int VDUSE_VQ_SETUP_KICKFD = Ioctl.IOW(VDUSE_BASE, 0x16, (uint)sizeof(vduse_vq_eventfd));
    /// <summary>VDUSE_VQ_INJECT_IRQ: _IOW(VDUSE_BASE, 0x17, __u32).</summary>
    public static readonly int VDUSE_VQ_INJECT_IRQ = Ioctl.IOW(VDUSE_BASE, 0x17, sizeof(uint));
    /// <summary>VDUSE_IOTLB_REG_UMEM: _IOW(VDUSE_BASE, 0x18, struct vduse_iova_umem).</summary>
    public static readonly int VDUSE_IOTLB_REG_UMEM = Ioctl.IOW(VDUSE_BASE, 0x18, (uint)sizeof(vduse_iova_umem));
    /// <summary>VDUSE_IOTLB_DEREG_UMEM: _IOW(VDUSE_BASE, 0x19, struct vduse_iova_umem).</summary>
    public static readonly int VDUSE_IOTLB_DEREG_UMEM = Ioctl.IOW(VDUSE_BASE, 0x19, (uint)sizeof(vduse_iova_umem));
    /// <summary>VDUSE_IOTLB_GET_INFO: _IOWR(VDUSE_BASE, 0x1a, struct vduse_iova_info).</summary>
    public static readonly int VDUSE_IOTLB_GET_INFO = Ioctl.IOWR(VDUSE_BASE, 0x1a, (uint)sizeof(vduse_iova_info));

    /// <summary>enum vduse_req_type: VDUSE_GET_VQ_STATE.</summary>
    public const uint VDUSE_GET_VQ_STATE = 0;
    /// <summary>enum vduse_req_type: VDUSE_SET_STATUS.</summary>
    public const uint VDUSE_SET_STATUS = 1;
    /// <summary>enum vduse_req_type: VDUSE_UPDATE_IOTLB.</summary>
    public const uint VDUSE_UPDATE_IOTLB = 2;

    /// <summary>VDUSE_ACCESS_RO: the device may only read.</summary>
    public const byte VDUSE_ACCESS_RO = 0x1;
    /// <summary>VDUSE_ACCESS_WO: the device may only write.</summary>
    public const byte VDUSE_ACCESS_WO = 0x2;
    /// <summary>VDUSE_ACCESS_RW.</summary>
    public const byte VDUSE_ACCESS_RW = 0x3;
}
