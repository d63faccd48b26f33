using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct pollfd
{
    /// <summary>File descriptor.</summary>
    public int fd;
    /// <summary>Requested events.</summary>
    public short events;
    /// <summary>Returned events.</summary>
    public short revents;
}

public static unsafe partial class Libc
{
    /// <summary>EFD_CLOEXEC.</summary>
    public const int EFD_CLOEXEC = 0x80000;
    /// <summary>EFD_NONBLOCK.</summary>
    public const int EFD_NONBLOCK = 0x800;
    /// <summary>POLLIN.</summary>
    public const short POLLIN = 1;
    /// <summary>POLLERR.</summary>
    public const short POLLERR = 8;
    /// <summary>POLLHUP.</summary>
    public const short POLLHUP = 0x10;

    /// <summary>eventfd(2).</summary>
    [LibraryImport(LibC, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    /// <summary>poll(2).</summary>
    [LibraryImport(LibC, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);
}
