using System;
using System.IO;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>Sys.ReadText reads small files whole, up to the bound, and says null for a missing one.</summary>
public sealed class ReadTextTests
{
    [Fact]
    public void Reads_a_proc_file_like_System_IO_does()
    {
        string? stat = Sys.ReadText("/proc/self/stat");
        Assert.NotNull(stat);
        Assert.StartsWith(Environment.ProcessId + " (", stat, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_up_to_the_bound_and_no_more()
    {
        string path = Path.Combine(Path.GetTempPath(), "vduse-readtext-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, new string('x', 3000) + "tail");
        try
        {
            Assert.Equal(new string('x', 3000) + "tail", Sys.ReadText(path, 4096));
            Assert.Equal(new string('x', 100), Sys.ReadText(path, 100));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_reads_as_null() => Assert.Null(Sys.ReadText("/proc/self/no-such-file"));
}
