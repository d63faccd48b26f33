using System.Runtime.InteropServices;

namespace VduseAot.Interop;

// Ours because Tmds.LibC has no prctl.
public static unsafe partial class Sys
{
    /// <summary>PR_SET_NAME: the calling thread's name (comm, 15 bytes), shown by top -H and /proc.</summary>
    public const int PR_SET_NAME = 15;

    /// <summary>prctl(2) with a pointer argument.</summary>
    [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)]
    public static partial int prctl(int option, void* arg2, nint arg3, nint arg4, nint arg5);
}
