using System;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>A live upgrade's pause keeps its log lines in memory, and writes them in order after.</summary>
public unsafe class LogHoldTests
{
    [Fact]
    public void Held_lines_are_written_only_on_release_and_in_order()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, LibC.pipe2(fds, LibC.O_NONBLOCK));
        using var read = new OwnedFd(fds[0]);
        using var write = new OwnedFd(fds[1]);
        using var saved = new OwnedFd(LibC.dup(StdStream.Error));
        Assert.True(LibC.dup2(write.Value, StdStream.Error) >= 0);
        byte* buffer = stackalloc byte[65536];
        string marker = Guid.NewGuid().ToString("N");
        try
        {
            Log.Hold();
            Log.Write(LogLevel.Warn, "held", marker + " first");
            Log.Write(LogLevel.Warn, "held", marker + " second");
            long before = LibC.read(read.Value, buffer, 65536);
            string early = before > 0 ? System.Text.Encoding.UTF8.GetString(buffer, (int)before) : "";
            Assert.DoesNotContain(marker, early, StringComparison.Ordinal);
        }
        finally
        {
            Log.Release();
            _ = LibC.dup2(saved.Value, StdStream.Error);
        }

        long n = LibC.read(read.Value, buffer, 65536);
        Assert.True(n > 0);
        string text = System.Text.Encoding.UTF8.GetString(buffer, (int)n);
        int first = text.IndexOf("vduse-blk[held] warn: " + marker + " first\n", StringComparison.Ordinal);
        int second = text.IndexOf("vduse-blk[held] warn: " + marker + " second\n", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first, text);
    }
}
