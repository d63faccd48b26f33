using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>struct stat (x86-64 layout), reduced to the fields this code reads; the rest is padding.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
public struct stat
{
    /// <summary>File type and mode (S_IF*).</summary>
    [FieldOffset(24)] public uint st_mode;
    /// <summary>Size in bytes (regular files).</summary>
    [FieldOffset(48)] public long st_size;
}

/// <summary>struct statfs (x86-64 layout), reduced to the file system type; the rest is padding.</summary>
[StructLayout(LayoutKind.Explicit, Size = 120)]
public struct statfs
{
    /// <summary>File system magic (TMPFS_MAGIC, ...).</summary>
    [FieldOffset(0)] public long f_type;
}

public static unsafe partial class Libc
{
    /// <summary>TMPFS_MAGIC: tmpfs and shmem (linux/magic.h).</summary>
    public const long TMPFS_MAGIC = 0x01021994;
    /// <summary>RAMFS_MAGIC: ramfs (linux/magic.h).</summary>
    public const long RAMFS_MAGIC = 0x858458f6;

    /// <summary>fstatfs(2).</summary>
    [LibraryImport(LibC, EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int fstatfs(int fd, statfs* buf);

    /// <summary>O_DIRECT (x86-64).</summary>
    public const int O_DIRECT = 0x4000;
    /// <summary>S_IFMT: the file-type bits of st_mode.</summary>
    public const uint S_IFMT = 0xf000;
    /// <summary>S_IFREG: regular file.</summary>
    public const uint S_IFREG = 0x8000;
    /// <summary>S_IFBLK: block device.</summary>
    public const uint S_IFBLK = 0x6000;

    /// <summary>fstat(2).</summary>
    [LibraryImport(LibC, EntryPoint = "fstat", SetLastError = true)]
    public static partial int fstat(int fd, stat* buf);

    /// <summary>ftruncate(2).</summary>
    [LibraryImport(LibC, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    /// <summary>pread(2).</summary>
    [LibraryImport(LibC, EntryPoint = "pread", SetLastError = true)]
    public static partial nint pread(int fd, void* buf, nuint count, long offset);
}
