using System.Runtime.InteropServices;

namespace VduseAot.Interop;

// io_uring has no glibc wrappers: these call syscall(2) with the x86-64 numbers and keep libc's
// convention (-1 and errno on failure), so callers read ErrnoExtensions.Last() as for any import.
public static unsafe partial class Libc
{
    /// <summary>SYS_io_uring_setup (one number on every architecture but alpha, since 5.1).</summary>
    public const long SYS_io_uring_setup = 425;
    /// <summary>SYS_io_uring_enter.</summary>
    public const long SYS_io_uring_enter = 426;
    /// <summary>SYS_io_uring_register.</summary>
    public const long SYS_io_uring_register = 427;

    /// <summary>MAP_POPULATE: fault the ring pages in at mmap time rather than on first touch.</summary>
    public const int MAP_POPULATE = 0x8000;

    /// <summary>FALLOC_FL_KEEP_SIZE (linux/falloc.h): do not change the file size.</summary>
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    /// <summary>FALLOC_FL_PUNCH_HOLE: deallocate the range (needs FALLOC_FL_KEEP_SIZE); it then reads as zeroes.</summary>
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    /// <summary>FALLOC_FL_ZERO_RANGE: make the range read as zeroes, keeping it allocated.</summary>
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    /// <summary>io_uring_setup(2): creates a ring and returns its fd; fills <paramref name="p"/>.</summary>
    public static int io_uring_setup(uint entries, io_uring_params* p)
        => (int)syscall(SYS_io_uring_setup, (nint)entries, (nint)p, 0, 0, 0, 0);

    /// <summary>
    /// io_uring_enter(2) without a signal mask: submits <paramref name="toSubmit"/> SQEs and, with
    /// IORING_ENTER_GETEVENTS, waits for <paramref name="minComplete"/> completions. Returns the
    /// number of SQEs consumed.
    /// </summary>
    public static int io_uring_enter(int fd, uint toSubmit, uint minComplete, uint flags)
        => (int)syscall(SYS_io_uring_enter, fd, (nint)toSubmit, (nint)minComplete, (nint)flags, 0, 0);

    /// <summary>io_uring_register(2): registers files, buffers, probes, etc. (IORING_REGISTER_*).</summary>
    public static int io_uring_register(int fd, uint opcode, void* arg, uint nrArgs)
        => (int)syscall(SYS_io_uring_register, fd, (nint)opcode, (nint)arg, (nint)nrArgs, 0, 0);
}
