using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>libc entry points, grouped by area in partial files; kernel names for flags.</summary>
public static unsafe partial class Libc
{
    private const string LibC = "libc";

    /// <summary>O_RDONLY.</summary>
    public const int O_RDONLY = 0;
    /// <summary>O_WRONLY.</summary>
    public const int O_WRONLY = 1;
    /// <summary>O_RDWR.</summary>
    public const int O_RDWR = 2;
    /// <summary>O_CREAT.</summary>
    public const int O_CREAT = 0x40;
    /// <summary>O_NONBLOCK.</summary>
    public const int O_NONBLOCK = 0x800;
    /// <summary>O_CLOEXEC.</summary>
    public const int O_CLOEXEC = 0x80000;

    /// <summary>open(2).</summary>
    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    /// <summary>close(2).</summary>
    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>read(2).</summary>
    [LibraryImport(LibC, EntryPoint = "read", SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    /// <summary>write(2).</summary>
    [LibraryImport(LibC, EntryPoint = "write", SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);
}
