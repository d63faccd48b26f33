using System.Runtime.InteropServices;
using Tmds.Linux;

namespace VduseAot.Interop;

// Ours because Tmds.LibC has no clock_gettime; timespec is Tmds.LibC's. The start-up timeline needs
// CLOCK_BOOTTIME, the clock /proc/PID/stat's starttime counts on (Stopwatch reads CLOCK_MONOTONIC).
public static unsafe partial class Sys
{
    /// <summary>CLOCK_BOOTTIME: monotonic, including time suspended; the base of /proc/PID/stat starttime.</summary>
    public const int CLOCK_BOOTTIME = 7;

    /// <summary>clock_gettime(2) (a vDSO call), with errno captured.</summary>
    [LibraryImport(Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int clock_gettime(int clockId, timespec* time);
}
