using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>struct vhost_vring_state (linux/vhost_types.h): a ring's size, base index or enable flag.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_state
{
    /// <summary>The ring.</summary>
    public uint index;
    /// <summary>The value (size, base, 0/1).</summary>
    public uint num;
}

/// <summary>struct vhost_vring_file: an eventfd for a ring's kick or call.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_file
{
    /// <summary>The ring.</summary>
    public uint index;
    /// <summary>The eventfd (-1: none).</summary>
    public int fd;
}

/// <summary>struct vhost_vring_addr: where a ring's three parts are, as IOVAs (with IOTLB messages) or user addresses.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_addr
{
    /// <summary>The ring.</summary>
    public uint index;
    /// <summary>VHOST_VRING_F_LOG.</summary>
    public uint flags;
    /// <summary>The descriptor table.</summary>
    public ulong desc_user_addr;
    /// <summary>The used ring.</summary>
    public ulong used_user_addr;
    /// <summary>The available ring.</summary>
    public ulong avail_user_addr;
    /// <summary>Dirty log address (unused).</summary>
    public ulong log_guest_addr;
}

/// <summary>struct vhost_iotlb_msg: one IOTLB change (map or unmap an IOVA range).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_iotlb_msg
{
    /// <summary>First IOVA.</summary>
    public ulong iova;
    /// <summary>Bytes.</summary>
    public ulong size;
    /// <summary>Where the memory is in the driver's address space.</summary>
    public ulong uaddr;
    /// <summary>VHOST_ACCESS_*.</summary>
    public byte perm;
    /// <summary>VHOST_IOTLB_UPDATE, VHOST_IOTLB_INVALIDATE, ...</summary>
    public byte type;
}

/// <summary>struct vhost_msg_v2: what a driver writes to /dev/vhost-vdpa-N to change its IOTLB (VHOST_BACKEND_F_IOTLB_MSG_V2).</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
public struct vhost_msg_v2
{
    /// <summary>VHOST_IOTLB_MSG_V2.</summary>
    [FieldOffset(0)] public uint type;
    /// <summary>The address space (0).</summary>
    [FieldOffset(4)] public uint asid;
    /// <summary>The change.</summary>
    [FieldOffset(8)] public vhost_iotlb_msg iotlb;
}
