using System.Runtime.InteropServices;

// Ours: Tmds.LibC has nothing of the virtio uapi headers.

namespace VduseAot.Interop;

// Ring and block layouts from include/uapi/linux/virtio_ring.h and virtio_blk.h. All fields are
// little-endian on the wire; this code only runs on little-endian x86-64, so they are read as-is.

/// <summary>struct vring_desc: one split-ring descriptor.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_desc
{
    /// <summary>Buffer IOVA.</summary>
    public ulong addr;
    /// <summary>Buffer length.</summary>
    public uint len;
    /// <summary>VRING_DESC_F_*.</summary>
    public ushort flags;
    /// <summary>Next descriptor when VRING_DESC_F_NEXT is set.</summary>
    public ushort next;
}

/// <summary>Header of struct vring_avail; <c>ring[]</c> (and used_event) follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_avail
{
    /// <summary>VRING_AVAIL_F_*.</summary>
    public ushort flags;
    /// <summary>Where the driver will put the next head (free running).</summary>
    public ushort idx;
}

/// <summary>struct vring_used_elem.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_used_elem
{
    /// <summary>Head of the completed chain.</summary>
    public uint id;
    /// <summary>Bytes written into the chain's device-writable buffers.</summary>
    public uint len;
}

/// <summary>Header of struct vring_used; <c>ring[]</c> (and avail_event) follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_used
{
    /// <summary>VRING_USED_F_*.</summary>
    public ushort flags;
    /// <summary>Where the device will put the next element (free running).</summary>
    public ushort idx;
}

/// <summary>struct virtio_blk_config (packed in the header; natural alignment gives the same layout).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct virtio_blk_config
{
    /// <summary>Size in 512-byte sectors.</summary>
    public ulong capacity;
    /// <summary>Largest segment (VIRTIO_BLK_F_SIZE_MAX).</summary>
    public uint size_max;
    /// <summary>Most segments per request (VIRTIO_BLK_F_SEG_MAX).</summary>
    public uint seg_max;
    /// <summary>geometry.cylinders.</summary>
    public ushort geometry_cylinders;
    /// <summary>geometry.heads.</summary>
    public byte geometry_heads;
    /// <summary>geometry.sectors.</summary>
    public byte geometry_sectors;
    /// <summary>Logical block size (VIRTIO_BLK_F_BLK_SIZE).</summary>
    public uint blk_size;
    /// <summary>log2(physical blocks per logical block).</summary>
    public byte physical_block_exp;
    /// <summary>Offset of the first aligned logical block.</summary>
    public byte alignment_offset;
    /// <summary>Suggested minimum I/O size in blocks.</summary>
    public ushort min_io_size;
    /// <summary>Optimal I/O size in blocks.</summary>
    public uint opt_io_size;
    /// <summary>Writeback mode (VIRTIO_BLK_F_CONFIG_WCE; VDUSE forbids it).</summary>
    public byte wce;
    /// <summary>Unused.</summary>
    public byte unused;
    /// <summary>Queues (VIRTIO_BLK_F_MQ).</summary>
    public ushort num_queues;
    /// <summary>VIRTIO_BLK_F_DISCARD limit.</summary>
    public uint max_discard_sectors;
    /// <summary>VIRTIO_BLK_F_DISCARD segments.</summary>
    public uint max_discard_seg;
    /// <summary>VIRTIO_BLK_F_DISCARD alignment.</summary>
    public uint discard_sector_alignment;
    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES limit.</summary>
    public uint max_write_zeroes_sectors;
    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES segments.</summary>
    public uint max_write_zeroes_seg;
    /// <summary>Whether write zeroes may deallocate.</summary>
    public byte write_zeroes_may_unmap;
    /// <summary>Unused.</summary>
    public byte unused1_0;
    /// <summary>Unused.</summary>
    public byte unused1_1;
    /// <summary>Unused.</summary>
    public byte unused1_2;
    /// <summary>VIRTIO_BLK_F_SECURE_ERASE limit.</summary>
    public uint max_secure_erase_sectors;
    /// <summary>VIRTIO_BLK_F_SECURE_ERASE segments.</summary>
    public uint max_secure_erase_seg;
    /// <summary>VIRTIO_BLK_F_SECURE_ERASE alignment.</summary>
    public uint secure_erase_sector_alignment;
}

/// <summary>struct virtio_blk_outhdr: the device-readable request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct virtio_blk_outhdr
{
    /// <summary>VIRTIO_BLK_T_*.</summary>
    public uint type;
    /// <summary>I/O priority.</summary>
    public uint ioprio;
    /// <summary>Offset in 512-byte sectors.</summary>
    public ulong sector;
}

/// <summary>struct virtio_blk_discard_write_zeroes: one DISCARD/WRITE_ZEROES segment.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct virtio_blk_discard_write_zeroes
{
    /// <summary>First sector.</summary>
    public ulong sector;
    /// <summary>Sector count.</summary>
    public uint num_sectors;
    /// <summary>VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP.</summary>
    public uint flags;
}

/// <summary>struct vring_packed_desc: one packed-ring descriptor.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_packed_desc
{
    /// <summary>Buffer IOVA.</summary>
    public ulong addr;
    /// <summary>Buffer length (written length in a used descriptor).</summary>
    public uint len;
    /// <summary>Buffer id.</summary>
    public ushort id;
    /// <summary>VRING_DESC_F_* plus the AVAIL/USED bits.</summary>
    public ushort flags;
}

/// <summary>struct vring_packed_desc_event: the driver and device event suppression areas.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_packed_desc_event
{
    /// <summary>Descriptor ring offset (bits 0-14) and wrap counter (bit 15) for VRING_PACKED_EVENT_FLAG_DESC.</summary>
    public ushort off_wrap;
    /// <summary>VRING_PACKED_EVENT_FLAG_*.</summary>
    public ushort flags;
}
