using System.Runtime.InteropServices;

// Ours: Tmds.LibC has nothing of linux/vduse.h.

namespace VduseAot.Interop;

// Blittable mirrors of include/uapi/linux/vduse.h. Field names follow the header so a reader can
// check them line by line; tests/VduseAot.Interop.Tests compares sizes and offsets against C.

/// <summary>struct vduse_dev_config without its flexible <c>config[]</c> tail.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_dev_config
{
    /// <summary>VDUSE_NAME_MAX.</summary>
    public const int VDUSE_NAME_MAX = 256;
    /// <summary>Device name, NUL terminated.</summary>
    public fixed byte name[VDUSE_NAME_MAX];
    /// <summary>Virtio vendor id.</summary>
    public uint vendor_id;
    /// <summary>Virtio device id (2 for block).</summary>
    public uint device_id;
    /// <summary>Device feature bits offered.</summary>
    public ulong features;
    /// <summary>Number of virtqueues.</summary>
    public uint vq_num;
    /// <summary>Virtqueue alignment.</summary>
    public uint vq_align;
    /// <summary>Must be zero.</summary>
    public fixed uint reserved[13];
    /// <summary>Size of the config space that follows.</summary>
    public uint config_size;
}

/// <summary>struct vduse_iotlb_entry: an IOVA range and where to mmap it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_iotlb_entry
{
    /// <summary>mmap offset in the returned fd.</summary>
    public ulong offset;
    /// <summary>First IOVA of the range.</summary>
    public ulong start;
    /// <summary>Last IOVA of the range (inclusive).</summary>
    public ulong last;
    /// <summary>VDUSE_ACCESS_*.</summary>
    public byte perm;
}

/// <summary>struct vduse_config_data without its flexible <c>buffer[]</c> tail.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_config_data
{
    /// <summary>Offset in the config space.</summary>
    public uint offset;
    /// <summary>Bytes that follow.</summary>
    public uint length;
}

/// <summary>struct vduse_vq_config.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_vq_config
{
    /// <summary>Queue index.</summary>
    public uint index;
    /// <summary>Largest queue size the device accepts.</summary>
    public ushort max_size;
    /// <summary>Must be zero.</summary>
    public fixed ushort reserved[13];
}

/// <summary>struct vduse_vq_state_split.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_vq_state_split
{
    /// <summary>Next avail index the device will read.</summary>
    public ushort avail_index;
}

/// <summary>struct vduse_vq_state_packed.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_vq_state_packed
{
    /// <summary>Avail wrap counter.</summary>
    public ushort last_avail_counter;
    /// <summary>Next avail index.</summary>
    public ushort last_avail_idx;
    /// <summary>Used wrap counter.</summary>
    public ushort last_used_counter;
    /// <summary>Next used index.</summary>
    public ushort last_used_idx;
}

/// <summary>The split/packed state union shared by vduse_vq_info and vduse_vq_state.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct vduse_vq_state_union
{
    /// <summary>Split ring view.</summary>
    [FieldOffset(0)] public vduse_vq_state_split split;
    /// <summary>Packed ring view.</summary>
    [FieldOffset(0)] public vduse_vq_state_packed packed;
}

/// <summary>struct vduse_vq_info, filled by VDUSE_VQ_GET_INFO.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_vq_info
{
    /// <summary>Queue index.</summary>
    public uint index;
    /// <summary>Queue size the driver chose.</summary>
    public uint num;
    /// <summary>IOVA of the descriptor table.</summary>
    public ulong desc_addr;
    /// <summary>IOVA of the avail ring (driver area).</summary>
    public ulong driver_addr;
    /// <summary>IOVA of the used ring (device area).</summary>
    public ulong device_addr;
    /// <summary>Ring state.</summary>
    public vduse_vq_state_union state;
    /// <summary>Non-zero once the driver enabled the queue.</summary>
    public byte ready;
}

/// <summary>struct vduse_vq_eventfd for VDUSE_VQ_SETUP_KICKFD.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_vq_eventfd
{
    /// <summary>VDUSE_EVENTFD_DEASSIGN.</summary>
    public const int VDUSE_EVENTFD_DEASSIGN = -1;
    /// <summary>Queue index.</summary>
    public uint index;
    /// <summary>eventfd, or VDUSE_EVENTFD_DEASSIGN.</summary>
    public int fd;
}

/// <summary>struct vduse_iova_umem for VDUSE_IOTLB_REG_UMEM/DEREG_UMEM.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_iova_umem
{
    /// <summary>User address of the memory.</summary>
    public ulong uaddr;
    /// <summary>IOVA it backs.</summary>
    public ulong iova;
    /// <summary>Bytes.</summary>
    public ulong size;
    /// <summary>Must be zero.</summary>
    public fixed ulong reserved[3];
}

/// <summary>struct vduse_iova_info for VDUSE_IOTLB_GET_INFO.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_iova_info
{
    /// <summary>VDUSE_IOVA_CAP_UMEM.</summary>
    public const ulong VDUSE_IOVA_CAP_UMEM = 1;
    /// <summary>First IOVA.</summary>
    public ulong start;
    /// <summary>Last IOVA.</summary>
    public ulong last;
    /// <summary>VDUSE_IOVA_CAP_*.</summary>
    public ulong capability;
    /// <summary>Must be zero.</summary>
    public fixed ulong reserved[3];
}

/// <summary>struct vduse_vq_state, the GET_VQ_STATE payload.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_vq_state
{
    /// <summary>Queue index.</summary>
    public uint index;
    /// <summary>Ring state.</summary>
    public vduse_vq_state_union state;
}

/// <summary>struct vduse_iova_range, the UPDATE_IOTLB payload.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vduse_iova_range
{
    /// <summary>First IOVA.</summary>
    public ulong start;
    /// <summary>Last IOVA (inclusive).</summary>
    public ulong last;
}

/// <summary>The union inside struct vduse_dev_request (padded to 128 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public struct vduse_dev_request_payload
{
    /// <summary>VDUSE_GET_VQ_STATE.</summary>
    [FieldOffset(0)] public vduse_vq_state vq_state;
    /// <summary>VDUSE_SET_STATUS: struct vduse_dev_status.</summary>
    [FieldOffset(0)] public byte status;
    /// <summary>VDUSE_UPDATE_IOTLB.</summary>
    [FieldOffset(0)] public vduse_iova_range iova;
}

/// <summary>struct vduse_dev_request, read() from /dev/vduse/$NAME.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_dev_request
{
    /// <summary>vduse_req_type.</summary>
    public uint type;
    /// <summary>Echoed in the response.</summary>
    public uint request_id;
    /// <summary>Reserved.</summary>
    public fixed uint reserved[4];
    /// <summary>Type-specific payload.</summary>
    public vduse_dev_request_payload payload;
}

/// <summary>The union inside struct vduse_dev_response (padded to 128 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public struct vduse_dev_response_payload
{
    /// <summary>Answer to VDUSE_GET_VQ_STATE.</summary>
    [FieldOffset(0)] public vduse_vq_state vq_state;
}

/// <summary>struct vduse_dev_response, write() to /dev/vduse/$NAME.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct vduse_dev_response
{
    /// <summary>VDUSE_REQ_RESULT_OK.</summary>
    public const uint VDUSE_REQ_RESULT_OK = 0;
    /// <summary>VDUSE_REQ_RESULT_FAILED.</summary>
    public const uint VDUSE_REQ_RESULT_FAILED = 1;
    /// <summary>The request's id.</summary>
    public uint request_id;
    /// <summary>VDUSE_REQ_RESULT_*.</summary>
    public uint result;
    /// <summary>Reserved.</summary>
    public fixed uint reserved[4];
    /// <summary>Type-specific payload.</summary>
    public vduse_dev_response_payload payload;
}
