// Ours: Tmds.LibC has no linux/fs.h block ioctls.

namespace VduseAot.Interop;

/// <summary>Block-device ioctls from linux/fs.h.</summary>
public static class BlockIoctl
{
    /// <summary>BLKGETSIZE64: _IOR(0x12, 114, size_t), the device size in bytes.</summary>
    public static readonly int BLKGETSIZE64 = Ioctl.IOR(0x12, 114, 8);
    /// <summary>BLKSSZGET: _IO(0x12, 104), the logical sector size.</summary>
    public static readonly int BLKSSZGET = Ioctl.IO(0x12, 104);
    /// <summary>BLKDISCARD: _IO(0x12, 119), discard a {start, length} byte range.</summary>
    public static readonly int BLKDISCARD = Ioctl.IO(0x12, 119);
}
