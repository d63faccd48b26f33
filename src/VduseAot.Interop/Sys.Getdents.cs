using System.Runtime.InteropServices;

namespace VduseAot.Interop;

// Ours because Tmds.LibC has neither getdents64 nor readdir; the start-up path lists sysfs
// directories with it instead of System.IO's enumerators (see VduseAot.Vduse.DirectoryEntries).
public static unsafe partial class Sys
{
    /// <summary>d_type of a directory in a linux_dirent64 record.</summary>
    public const byte DT_DIR = 4;

    /// <summary>getdents64(2): linux_dirent64 records of the open directory <paramref name="fd"/>; 0 at its end.</summary>
    [LibraryImport(Libc, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint getdents64(int fd, byte* buffer, nuint count);
}
