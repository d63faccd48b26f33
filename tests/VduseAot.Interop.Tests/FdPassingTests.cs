using System;
using Tmds.Linux;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>SCM_RIGHTS over a socketpair: the descriptors that arrive are the same open files as those sent.</summary>
public sealed unsafe class FdPassingTests
{
    [Fact]
    public void Passed_descriptors_reach_the_same_open_files_with_the_bytes_they_rode_on()
    {
        int* pair = stackalloc int[2];
        Assert.Equal(0, LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, pair));
        int* pipe = stackalloc int[2];
        Assert.Equal(0, LibC.pipe2(pipe, LibC.O_CLOEXEC));
        try
        {
            byte[] line = "handover\n"u8.ToArray();
            Assert.Equal(line.Length, Sys.SendWithFds(pair[0], line, [pipe[1], pipe[0]]));

            Span<byte> data = stackalloc byte[64];
            Span<int> fds = stackalloc int[4];
            long n = Sys.ReceiveWithFds(pair[1], data, fds, out int count);
            Assert.Equal(line.Length, n);
            Assert.Equal(line, data[..(int)n].ToArray());
            Assert.Equal(2, count);
            Assert.NotEqual(pipe[1], fds[0]); // a new descriptor in this process, for the same pipe

            byte b = 42;
            Assert.Equal(1, LibC.write(fds[0], &b, 1));
            byte got = 0;
            Assert.Equal(1, LibC.read(pipe[0], &got, 1));
            Assert.Equal(42, got);
            Assert.Equal(LibC.FD_CLOEXEC, LibC.fcntl(fds[1], LibC.F_GETFD) & LibC.FD_CLOEXEC);

            _ = LibC.close(fds[0]);
            _ = LibC.close(fds[1]);
            Assert.Equal(Environment.ProcessId, Sys.PeerPid(pair[1], out uint uid));
            Assert.Equal((uint)LibC.geteuid(), uid);
        }
        finally
        {
            _ = LibC.close(pair[0]);
            _ = LibC.close(pair[1]);
            _ = LibC.close(pipe[0]);
            _ = LibC.close(pipe[1]);
        }
    }

    [Fact]
    public void Bytes_without_descriptors_arrive_with_none_and_the_end_of_stream_reads_zero()
    {
        int* pair = stackalloc int[2];
        Assert.Equal(0, LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, pair));
        Assert.Equal(3, Sys.SendWithFds(pair[0], "abc"u8, []));
        _ = LibC.close(pair[0]);
        Span<byte> data = stackalloc byte[8];
        Span<int> fds = stackalloc int[2];
        Assert.Equal(3, Sys.ReceiveWithFds(pair[1], data, fds, out int count));
        Assert.Equal(0, count);
        Assert.Equal(0, Sys.ReceiveWithFds(pair[1], data, fds, out count));
        _ = LibC.close(pair[1]);
    }
}
