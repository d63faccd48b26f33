using System;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Tmds.Linux;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>
/// What this code assumes of Tmds.LibC's imports beyond layouts (which AbiTests compares): that the
/// calls whose failures we report capture errno, and that the one we replace still does not.
/// </summary>
public sealed class TmdsLibcTests
{
    /// <summary>Tmds.LibC entry points called by src/ whose errno is read after a failure.</summary>
    private static readonly string[] ErrnoReporting =
    [
        "open", "close", "read", "write", "pread", "ftruncate", "fstat", "ioctl", "mmap", "munmap", "madvise",
        "eventfd", "socket", "bind", "send", "recv", "setsockopt", "sched_setaffinity", "sched_getaffinity", "syscall",
    ];

    [Fact]
    public void Every_call_whose_errno_we_report_captures_it()
    {
        foreach (string name in ErrnoReporting)
        {
            // Some public calls (fstat, ioctl) wrap a private import named with a leading underscore.
            MethodInfo[] imports = typeof(LibC).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(m => m.Name.TrimStart('_') == name && m.GetCustomAttribute<DllImportAttribute>() is not null).ToArray();
            Assert.True(imports.Length > 0, $"Tmds.LibC has no import named {name}");
            foreach (MethodInfo m in imports)
            {
                DllImportAttribute import = m.GetCustomAttribute<DllImportAttribute>()!;
                Assert.True(import.SetLastError, $"Tmds.LibC's {m} does not capture errno");
                Assert.Equal("libc.so.6", import.Value); // the name VduseAot.csproj binds with DirectPInvoke
            }
        }
    }

    [Fact]
    public void Poll_is_ours_because_Tmds_LibC_drops_its_errno()
    {
        // If this starts failing, Tmds.LibC fixed poll: drop Sys.poll and use LibC.poll.
        MethodInfo poll = typeof(LibC).GetMethod(nameof(LibC.poll))!;
        Assert.False(poll.GetCustomAttribute<DllImportAttribute>()!.SetLastError);
        Assert.True(typeof(Sys).GetMethod(nameof(Sys.poll))!.GetCustomAttribute<LibraryImportAttribute>()!.SetLastError);
    }

    [Fact]
    public void Open_reports_the_errno_of_the_open()
    {
        string missing = "/nonexistent-" + Guid.NewGuid().ToString("N") + "/ü";
        Assert.Equal(-1, Sys.Open(missing, LibC.O_RDONLY | LibC.O_CLOEXEC));
        Assert.Equal(Errno.ENOENT, ErrnoExtensions.Last());
        int fd = Sys.Open("/proc/self/status", LibC.O_RDONLY | LibC.O_CLOEXEC);
        Assert.True(fd >= 0, ErrnoExtensions.Last().Describe());
        Assert.Equal(0, LibC.close(fd));
    }
}
