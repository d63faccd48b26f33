using System;
using System.IO;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>Output with write(2) instead of System.Console and System.IO: whole lines, one-write sysfs attributes.</summary>
public unsafe class StdStreamTests
{
    [Fact]
    public void StdStreamWritesWholeLinesToTheDescriptor()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, LibC.pipe(fds));
        using var read = new OwnedFd(fds[0]);
        using (var write = new OwnedFd(fds[1]))
        {
            Assert.True(StdStream.WriteLine(write.Value, "ready d0 /dev/vda"));
            Assert.True(StdStream.WriteLine(write.Value, "zwölf"));
        }

        byte* buffer = stackalloc byte[256];
        long n = LibC.read(read.Value, buffer, 256);
        Assert.Equal("ready d0 /dev/vda\nzwölf\n", System.Text.Encoding.UTF8.GetString(buffer, (int)n));
    }
    [Fact]
    public void StdStreamSaysWhenTheDescriptorRefuses() => Assert.False(StdStream.WriteLine(-1, "lost"));
    [Fact]
    public void SysfsAttributesAreWrittenInOneWrite()
    {
        string path = Path.Combine(Path.GetTempPath(), "vduse-attr-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "");
        try
        {
            Assert.Equal(Errno.OK, SysfsAttribute.Write(path, "1,00000000"));
            Assert.Equal("1,00000000", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(Errno.ENOENT, SysfsAttribute.Write(path, "1"));
    }
}
