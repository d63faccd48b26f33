using System.Text;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>Writes a sysfs attribute with open/write (no System.IO set-up, no buffering: one write, as sysfs wants).</summary>
public static unsafe class SysfsAttribute
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> in one write; the errno (ENOENT: no such attribute on this kernel).</summary>
    public static Errno Write(string path, string text)
    {
        using OwnedFd? fd = OwnedFd.FromResult(Sys.Open(path, LibC.O_WRONLY | LibC.O_CLOEXEC, 0));
        if (fd is null)
        {
            return ErrnoExtensions.Last();
        }

        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            long n = LibC.write(fd.Value, p, bytes.Length);
            return n < 0 ? ErrnoExtensions.Last() : n != bytes.Length ? Errno.EIO : Errno.OK;
        }
    }
}
