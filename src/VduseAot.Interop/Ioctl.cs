// Ours: Tmds.LibC has no _IOC helpers to build request numbers from.

namespace VduseAot.Interop;

/// <summary>
/// ioctl request numbers built exactly like the kernel's <c>_IO/_IOR/_IOW/_IOWR</c> macros
/// (asm-generic/ioctl.h: nr 8 bits, type 8 bits, size 14 bits, direction 2 bits). Typed <c>int</c>, as
/// Tmds.LibC's <c>ioctl</c> takes them: the kernel reads the request as an unsigned 32-bit number, so a
/// read ioctl's top bit simply makes the <c>int</c> negative.
/// </summary>
public static class Ioctl
{
    /// <summary>_IOC_NONE.</summary>
    public const uint IOC_NONE = 0;
    /// <summary>_IOC_WRITE: userspace writes, the kernel reads.</summary>
    public const uint IOC_WRITE = 1;
    /// <summary>_IOC_READ: the kernel writes, userspace reads.</summary>
    public const uint IOC_READ = 2;

    /// <summary>_IOC(dir, type, nr, size).</summary>
    public static int IOC(uint dir, uint type, uint nr, uint size) => unchecked((int)((dir << 30) | (size << 16) | (type << 8) | nr));

    /// <summary>_IO(type, nr).</summary>
    public static int IO(uint type, uint nr) => IOC(IOC_NONE, type, nr, 0);

    /// <summary>_IOR(type, nr, size).</summary>
    public static int IOR(uint type, uint nr, uint size) => IOC(IOC_READ, type, nr, size);

    /// <summary>_IOW(type, nr, size).</summary>
    public static int IOW(uint type, uint nr, uint size) => IOC(IOC_WRITE, type, nr, size);

    /// <summary>_IOWR(type, nr, size).</summary>
    public static int IOWR(uint type, uint nr, uint size) => IOC(IOC_READ | IOC_WRITE, type, nr, size);
}
