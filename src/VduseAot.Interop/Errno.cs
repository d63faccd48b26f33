using System.Runtime.InteropServices;
using Tmds.Linux;

namespace VduseAot.Interop;

/// <summary>
/// errno values this code reacts to (asm-generic/errno-base.h), typed so that a switch or a message can
/// name them; others pass through as numbers. The values are Tmds.LibC's (<c>LibC.EAGAIN</c> ...), which
/// are properties and so cannot be enum members or case labels: the ABI test checks both against the
/// headers.
/// </summary>
public enum Errno
{
    /// <summary>Success.</summary>
    OK = 0,
    /// <summary>EPERM.</summary>
    EPERM = 1,
    /// <summary>ENOENT.</summary>
    ENOENT = 2,
    /// <summary>EINTR.</summary>
    EINTR = 4,
    /// <summary>EIO.</summary>
    EIO = 5,
    /// <summary>ENXIO.</summary>
    ENXIO = 6,
    /// <summary>EBADF.</summary>
    EBADF = 9,
    /// <summary>EAGAIN.</summary>
    EAGAIN = 11,
    /// <summary>ENOMEM.</summary>
    ENOMEM = 12,
    /// <summary>EACCES.</summary>
    EACCES = 13,
    /// <summary>EFAULT.</summary>
    EFAULT = 14,
    /// <summary>EBUSY.</summary>
    EBUSY = 16,
    /// <summary>EEXIST.</summary>
    EEXIST = 17,
    /// <summary>ENODEV.</summary>
    ENODEV = 19,
    /// <summary>EINVAL.</summary>
    EINVAL = 22,
    /// <summary>ENFILE.</summary>
    ENFILE = 23,
    /// <summary>EMFILE.</summary>
    EMFILE = 24,
    /// <summary>ENOSPC.</summary>
    ENOSPC = 28,
    /// <summary>EROFS.</summary>
    EROFS = 30,
    /// <summary>ENOTTY.</summary>
    ENOTTY = 25,
    /// <summary>ENOSYS.</summary>
    ENOSYS = 38,
    /// <summary>EOPNOTSUPP.</summary>
    EOPNOTSUPP = 95,
    /// <summary>ETIMEDOUT.</summary>
    ETIMEDOUT = 110,
    /// <summary>EPIPE.</summary>
    EPIPE = 32,
    /// <summary>ETIME.</summary>
    ETIME = 62,
    /// <summary>ENETUNREACH.</summary>
    ENETUNREACH = 101,
    /// <summary>ECONNRESET.</summary>
    ECONNRESET = 104,
    /// <summary>ENOTCONN.</summary>
    ENOTCONN = 107,
    /// <summary>ESHUTDOWN.</summary>
    ESHUTDOWN = 108,
    /// <summary>ECONNREFUSED.</summary>
    ECONNREFUSED = 111,
    /// <summary>EHOSTUNREACH.</summary>
    EHOSTUNREACH = 113,
    /// <summary>EINPROGRESS.</summary>
    EINPROGRESS = 115,
    /// <summary>ECANCELED.</summary>
    ECANCELED = 125,
}

/// <summary>Reading and describing errno after a failed call.</summary>
public static class ErrnoExtensions
{
    /// <summary>errno of the last import with SetLastError (ours or Tmds.LibC's) on this thread.</summary>
    public static Errno Last() => (Errno)LibC.errno;

    /// <summary>"ENOENT (No such file or directory)" style text for messages.</summary>
    public static string Describe(this Errno errno)
    {
        string name = System.Enum.IsDefined(errno) ? errno.ToString() : "errno " + ((int)errno).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name + " (" + Marshal.GetPInvokeErrorMessage((int)errno) + ")";
    }
}
