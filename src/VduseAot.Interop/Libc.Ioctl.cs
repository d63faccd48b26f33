using System.Runtime.InteropServices;

namespace VduseAot.Interop;

public static unsafe partial class Libc
{
    /// <summary>ioctl(2) with a pointer argument (every VDUSE ioctl passes one, or none).</summary>
    [LibraryImport(LibC, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* arg);
}
