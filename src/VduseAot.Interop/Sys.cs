using System;
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace VduseAot.Interop;

/// <summary>
/// The libc and kernel entry points Tmds.LibC (the <c>Tmds.Linux.LibC</c> class, used for everything
/// else) lacks or declares in a way we cannot use; each partial file says which and why. Kernel names
/// for calls and flags.
/// </summary>
public static unsafe partial class Sys
{
    private const string Libc = "libc";

    /// <summary>
    /// open(2) for a .NET path. Tmds.LibC's <c>open</c> takes a NUL-terminated UTF-8 <c>byte*</c>;
    /// this encodes the path on the stack (or in an array for paths past 1 KiB) and calls it, so errno
    /// is that of the open.
    /// </summary>
    public static int Open(string path, int flags, ushort mode = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[1024] : new byte[max];
        int length = Encoding.UTF8.GetBytes(path, utf8);
        utf8[length] = 0;
        fixed (byte* p = utf8)
        {
            return LibC.open(p, flags, mode);
        }
    }
}
