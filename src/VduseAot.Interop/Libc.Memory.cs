using System.Runtime.InteropServices;

namespace VduseAot.Interop;

public static unsafe partial class Libc
{
    /// <summary>PROT_READ.</summary>
    public const int PROT_READ = 1;
    /// <summary>PROT_WRITE.</summary>
    public const int PROT_WRITE = 2;
    /// <summary>MAP_SHARED.</summary>
    public const int MAP_SHARED = 1;
    /// <summary>MAP_PRIVATE.</summary>
    public const int MAP_PRIVATE = 2;
    /// <summary>MAP_ANONYMOUS.</summary>
    public const int MAP_ANONYMOUS = 0x20;
    /// <summary>MAP_NORESERVE.</summary>
    public const int MAP_NORESERVE = 0x4000;
    /// <summary>MAP_FIXED.</summary>
    public const int MAP_FIXED = 0x10;
    /// <summary>PROT_NONE.</summary>
    public const int PROT_NONE = 0;
    /// <summary>MADV_REMOVE: free the range of a shared file mapping (a hole in tmpfs).</summary>
    public const int MADV_REMOVE = 9;
    /// <summary>MADV_NOHUGEPAGE: back the range with small pages only (no transparent huge pages).</summary>
    public const int MADV_NOHUGEPAGE = 15;
    /// <summary>MAP_FAILED.</summary>
    public static readonly void* MAP_FAILED = (void*)-1;

    /// <summary>mmap(2).</summary>
    [LibraryImport(LibC, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    /// <summary>madvise(2).</summary>
    [LibraryImport(LibC, EntryPoint = "madvise", SetLastError = true)]
    public static partial int madvise(void* addr, nuint length, int advice);

    /// <summary>munmap(2).</summary>
    [LibraryImport(LibC, EntryPoint = "munmap", SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);
}
