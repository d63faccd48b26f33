using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>struct statfs (x86-64 layout), reduced to the file system type; the rest is padding.</summary>
[StructLayout(LayoutKind.Explicit, Size = 120)]
public struct statfs
{
    /// <summary>File system magic (TMPFS_MAGIC, ...).</summary>
    [FieldOffset(0)] public long f_type;
}

// Ours because Tmds.LibC has only statvfs, which does not carry the file system type.
public static unsafe partial class Sys
{
    /// <summary>TMPFS_MAGIC: tmpfs and shmem (linux/magic.h).</summary>
    public const long TMPFS_MAGIC = 0x01021994;
    /// <summary>RAMFS_MAGIC: ramfs (linux/magic.h).</summary>
    public const long RAMFS_MAGIC = 0x858458f6;

    /// <summary>fstatfs(2).</summary>
    [LibraryImport(Libc, EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int fstatfs(int fd, statfs* buf);
}
