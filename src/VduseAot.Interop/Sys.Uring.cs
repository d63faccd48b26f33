using Tmds.Linux;

namespace VduseAot.Interop;

// Ours because Tmds.LibC's io_uring wrappers take its 5.6 io_uring_params (no sq_off.user_addr and the
// later setup fields): these go through its syscall(2) with our structs from IoUringStructs.cs and keep
// libc's convention (-1 and errno on failure), so callers read ErrnoExtensions.Last() as for any call.
public static unsafe partial class Sys
{
    /// <summary>SYS_io_uring_setup (one number on every architecture but alpha, since 5.1).</summary>
    public const int SYS_io_uring_setup = 425;
    /// <summary>SYS_io_uring_enter.</summary>
    public const int SYS_io_uring_enter = 426;
    /// <summary>SYS_io_uring_register.</summary>
    public const int SYS_io_uring_register = 427;

    /// <summary>io_uring_setup(2): creates a ring and returns its fd; fills <paramref name="p"/>.</summary>
    public static int io_uring_setup(uint entries, io_uring_params* p)
        => (int)LibC.syscall(SYS_io_uring_setup, entries, p);

    /// <summary>
    /// io_uring_enter(2) without a signal mask: submits <paramref name="toSubmit"/> SQEs and, with
    /// IORING_ENTER_GETEVENTS, waits for <paramref name="minComplete"/> completions. Returns the
    /// number of SQEs consumed.
    /// </summary>
    public static int io_uring_enter(int fd, uint toSubmit, uint minComplete, uint flags)
        => (int)LibC.syscall(SYS_io_uring_enter, fd, toSubmit, minComplete, flags, null, 0);

    /// <summary>io_uring_register(2): registers files, buffers, probes, etc. (IORING_REGISTER_*).</summary>
    public static int io_uring_register(int fd, uint opcode, void* arg, uint nrArgs)
        => (int)LibC.syscall(SYS_io_uring_register, fd, opcode, arg, nrArgs);
}
