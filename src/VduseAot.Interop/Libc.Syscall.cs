using System.Runtime.InteropServices;

namespace VduseAot.Interop;

public static unsafe partial class Libc
{
    /// <summary>SYS_gettid (x86-64).</summary>
    public const long SYS_gettid = 186;

    /// <summary>
    /// syscall(2): the raw entry for calls libc does not wrap (io_uring_*). Declared with six
    /// integer arguments; on x86-64 the variadic ABI passes them in the same registers.
    /// </summary>
    [LibraryImport(LibC, EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>getpid(2); cannot fail, so no GC transition is needed.</summary>
    [LibraryImport(LibC, EntryPoint = "getpid")]
    [SuppressGCTransition]
    public static partial int getpid();
}
