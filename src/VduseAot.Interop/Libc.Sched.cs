using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>cpu_set_t: a 1024-bit CPU mask (glibc's fixed size).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cpu_set_t
{
    /// <summary>CPU_SETSIZE.</summary>
    public const int CPU_SETSIZE = 1024;

    /// <summary>The mask, 64 CPUs per word.</summary>
    public fixed ulong bits[CPU_SETSIZE / 64];

    /// <summary>CPU_SET.</summary>
    public void Set(int cpu) => bits[cpu / 64] |= 1UL << (cpu % 64);

    /// <summary>CPU_ISSET.</summary>
    public readonly bool IsSet(int cpu) => (bits[cpu / 64] & (1UL << (cpu % 64))) != 0;
}

public static unsafe partial class Libc
{
    /// <summary>PR_SET_NAME: the calling thread's name (comm, 15 bytes), shown by top -H and /proc.</summary>
    public const int PR_SET_NAME = 15;

    /// <summary>prctl(2) with a pointer argument.</summary>
    [LibraryImport(LibC, EntryPoint = "prctl", SetLastError = true)]
    public static partial int prctl(int option, void* arg2, nint arg3, nint arg4, nint arg5);

    /// <summary>sched_setaffinity(2); pid 0 is the calling thread.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nuint cpusetsize, cpu_set_t* mask);

    /// <summary>sched_getaffinity(2); pid 0 is the calling thread.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int sched_getaffinity(int pid, nuint cpusetsize, cpu_set_t* mask);
}
