using System.Runtime.InteropServices;

namespace VduseAot.Interop;

public static unsafe partial class Libc
{
    /// <summary>SOCK_RAW.</summary>
    public const int SOCK_RAW = 3;
    /// <summary>SOCK_CLOEXEC.</summary>
    public const int SOCK_CLOEXEC = 0x80000;
    /// <summary>SOL_SOCKET.</summary>
    public const int SOL_SOCKET = 1;
    /// <summary>SO_RCVTIMEO.</summary>
    public const int SO_RCVTIMEO = 20;

    /// <summary>socket(2).</summary>
    [LibraryImport(LibC, EntryPoint = "socket", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    /// <summary>bind(2).</summary>
    [LibraryImport(LibC, EntryPoint = "bind", SetLastError = true)]
    public static partial int bind(int fd, void* addr, uint addrlen);

    /// <summary>send(2).</summary>
    [LibraryImport(LibC, EntryPoint = "send", SetLastError = true)]
    public static partial nint send(int fd, void* buf, nuint len, int flags);

    /// <summary>recv(2).</summary>
    [LibraryImport(LibC, EntryPoint = "recv", SetLastError = true)]
    public static partial nint recv(int fd, void* buf, nuint len, int flags);

    /// <summary>setsockopt(2).</summary>
    [LibraryImport(LibC, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int optname, void* optval, uint optlen);
}
