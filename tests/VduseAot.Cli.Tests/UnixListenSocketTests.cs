using System;
using System.IO;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The control socket's listener made with raw socket calls: owner-only, and a leftover file does not answer.</summary>
public unsafe class UnixListenSocketTests
{
    [Fact]
    public void UnixListenSocketListensOwnerOnlyAndAStaleFileDoesNotAnswer()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vduse-uls-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "d.sock");
        try
        {
            using (OwnedFd fd = UnixListenSocket.Listen(path, 8))
            {
                Assert.True(UnixListenSocket.Answers(path));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path) & (UnixFileMode)0x1ff);
            }

            Assert.True(File.Exists(path)); // the file outlives its listener: a leftover
            Assert.False(UnixListenSocket.Answers(path));
            VduseException e = Assert.Throws<VduseException>(() => UnixListenSocket.Listen(path, 8));
            Assert.Contains("bind failed", e.Message, StringComparison.Ordinal);
            Assert.False(UnixListenSocket.Answers(Path.Combine(dir, "missing.sock")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
    [Fact]
    public void UnixAddressesAreFamilyPathAndNul()
    {
        Span<byte> address = stackalloc byte[110];
        Assert.Equal(2 + 5 + 1, UnixListenSocket.Address("/a/bc", address));
        Assert.Equal((byte)LibC.AF_UNIX, address[0]);
        Assert.Equal((byte)'/', address[2]);
        Assert.Equal(0, address[7]);
    }
}
