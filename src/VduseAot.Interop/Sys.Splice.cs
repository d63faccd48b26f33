using System.Runtime.InteropServices;
using Tmds.Linux;

namespace VduseAot.Interop;

// Ours because Tmds.LibC has neither vmsplice(2) nor the SPLICE_F_* and F_SETPIPE_SZ constants.
public static unsafe partial class Sys
{
    /// <summary>SPLICE_F_NONBLOCK: do not block on the pipe.</summary>
    public const uint SPLICE_F_NONBLOCK = 0x02;

    /// <summary>SPLICE_F_MORE: more data follows (MSG_MORE on a socket).</summary>
    public const uint SPLICE_F_MORE = 0x04;

    /// <summary>F_SETPIPE_SZ: sets a pipe's capacity in bytes (fcntl).</summary>
    public const int F_SETPIPE_SZ = 1031;

    /// <summary>vmsplice(2): maps the user pages of <paramref name="iov"/> into pipe <paramref name="fd"/> by reference; bytes taken, or -1 and errno.</summary>
    [LibraryImport(Libc, EntryPoint = "vmsplice", SetLastError = true)]
    public static partial nint vmsplice(int fd, iovec* iov, nuint count, uint flags);
}
