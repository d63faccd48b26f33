using System;
using Tmds.Linux;
using VduseAot.Interop;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Uring.Tests;

/// <summary>File operations through the ring against real files on the host's filesystem.</summary>
public sealed unsafe class FileIoTests : IDisposable
{
    private const int EBADF = 9;
    private const int ECANCELED = 125;
    private readonly Scratch scratch = new();
    private readonly IoUring ring = new(32);

    public void Dispose()
    {
        ring.Dispose();
        scratch.Dispose();
    }

    [Fact]
    public void Writev_then_readv_of_a_multi_iovec_buffer_round_trips()
    {
        int fd = scratch.Open("data", new byte[16384]);
        byte[] expected = Ring.Pattern(8192, 1);

        // Write as 4096 + 1000 + 3096 bytes at offset 4096; read back as 512 + 7000 + 680.
        int[] writeSplit = [4096, 1000, 3096];
        int[] readSplit = [512, 7000, 680];
        using var src = new NativeBuffer(8192);
        using var dst = new NativeBuffer(8192, 0xEE);
        expected.CopyTo(src.Span);

        iovec* wv = stackalloc iovec[3];
        iovec* rv = stackalloc iovec[3];
        Split(src, writeSplit, wv);
        Split(dst, readSplit, rv);

        SqePrep.Writev(Ring.Sqe(ring), fd, wv, 3, 4096, 1);
        Ring.AssertOk(Ring.One(ring, 1), 8192);
        SqePrep.Readv(Ring.Sqe(ring), fd, rv, 3, 4096, 2);
        Ring.AssertOk(Ring.One(ring, 2), 8192);

        Assert.True(dst.Span.SequenceEqual(expected), "readv returned other bytes than writev wrote");
        byte[] file = scratch.ReadAll("data");
        Assert.True(file.AsSpan(4096, 8192).SequenceEqual(expected), "the file does not hold what writev wrote");
        Assert.True(file.AsSpan(0, 4096).IndexOfAnyExcept((byte)0) < 0, "writev touched bytes before its offset");
    }

    [Fact]
    public void Read_past_EOF_returns_short_then_zero()
    {
        int fd = scratch.Open("short", Ring.Pattern(100, 2));
        using var buffer = new NativeBuffer(4096);

        SqePrep.Read(Ring.Sqe(ring), fd, buffer.Ptr, 4096, 50, 1);
        Ring.AssertOk(Ring.One(ring, 1), 50);
        Assert.True(buffer.Span[..50].SequenceEqual(Ring.Pattern(100, 2).AsSpan(50)));

        SqePrep.Read(Ring.Sqe(ring), fd, buffer.Ptr, 4096, 200, 2);
        Ring.AssertOk(Ring.One(ring, 2), 0);
    }

    [Fact]
    public void Write_to_a_read_only_fd_completes_with_EBADF()
    {
        int fd = scratch.Open("ro", new byte[4096], LibC.O_RDONLY);
        using var buffer = new NativeBuffer(4096, 0x5A);
        SqePrep.Write(Ring.Sqe(ring), fd, buffer.Ptr, 4096, 0, 1);
        io_uring_cqe cqe = Ring.One(ring, 1);
        Assert.True(cqe.res == -EBADF, $"res {cqe.res} ({Ring.Describe(cqe.res)}), expected -EBADF");
        Assert.True(scratch.ReadAll("ro").AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Fsync_and_fdatasync_succeed()
    {
        int fd = scratch.Open("sync", new byte[4096]);
        using var buffer = new NativeBuffer(4096, 0x11);
        SqePrep.Write(Ring.Sqe(ring), fd, buffer.Ptr, 4096, 0, 1);
        Ring.AssertOk(Ring.One(ring, 1), 4096);

        SqePrep.Fsync(Ring.Sqe(ring), fd, dataSync: false, 2);
        Ring.AssertOk(Ring.One(ring, 2), 0);
        SqePrep.Fsync(Ring.Sqe(ring), fd, dataSync: true, 3);
        Ring.AssertOk(Ring.One(ring, 3), 0);
    }

    [Fact]
    public void Fallocate_punch_hole_and_zero_range_read_back_zeroes()
    {
        const int size = 64 * 1024;
        byte[] original = new byte[size];
        original.AsSpan().Fill(0xAB);
        int fd = scratch.Open("holes", original);

        SqePrep.Fallocate(Ring.Sqe(ring), fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 4096, 8192, 1);
        AssertFallocate(Ring.One(ring, 1), "PUNCH_HOLE|KEEP_SIZE");
        SqePrep.Fallocate(Ring.Sqe(ring), fd, Sys.FALLOC_FL_ZERO_RANGE, 20480, 4096 + 100, 2);
        AssertFallocate(Ring.One(ring, 2), "ZERO_RANGE");

        // Read back through the ring as well as through the page cache.
        using var buffer = new NativeBuffer(size, 0xEE);
        SqePrep.Read(Ring.Sqe(ring), fd, buffer.Ptr, size, 0, 3);
        Ring.AssertOk(Ring.One(ring, 3), size);

        byte[] expected = (byte[])original.Clone();
        expected.AsSpan(4096, 8192).Clear();
        expected.AsSpan(20480, 4096 + 100).Clear();
        Assert.True(buffer.Span.SequenceEqual(expected), "the ring read back other bytes than the holes imply");
        Assert.True(scratch.ReadAll("holes").AsSpan().SequenceEqual(expected), "the file holds other bytes than the holes imply");
    }

    [Fact]
    public void Registered_files_work_with_IOSQE_FIXED_FILE_and_can_be_updated()
    {
        int a = scratch.Open("a", new byte[4096]);
        int b = scratch.Open("b", new byte[4096]);
        ring.RegisterFiles([a, -1]);
        using var buffer = new NativeBuffer(4096, 0x3C);
        using var back = new NativeBuffer(4096);

        // Slot 0 is file a.
        SqePrep.Write(Ring.Sqe(ring), 0, buffer.Ptr, 4096, 0, 1, SqeFlags.FixedFile);
        Ring.AssertOk(Ring.One(ring, 1), 4096);
        SqePrep.Read(Ring.Sqe(ring), 0, back.Ptr, 4096, 0, 2, SqeFlags.FixedFile);
        Ring.AssertOk(Ring.One(ring, 2), 4096);
        Assert.True(back.Span.SequenceEqual(buffer.Span));
        Assert.True(scratch.ReadAll("a").AsSpan().IndexOfAnyExcept((byte)0x3C) < 0);

        // Slot 1 was sparse; point it at file b.
        ring.UpdateFiles(1, [b]);
        buffer.Span.Fill(0x7E);
        SqePrep.Write(Ring.Sqe(ring), 1, buffer.Ptr, 4096, 0, 3, SqeFlags.FixedFile);
        Ring.AssertOk(Ring.One(ring, 3), 4096);
        Assert.True(scratch.ReadAll("b").AsSpan().IndexOfAnyExcept((byte)0x7E) < 0);

        var twice = Assert.Throws<IoUringException>(() => ring.RegisterFiles([a]));
        Assert.Equal(Errno.EBUSY, twice.Errno);
        Assert.Contains("UnregisterFiles first", twice.Message, StringComparison.Ordinal);

        ring.UnregisterFiles();
        SqePrep.Write(Ring.Sqe(ring), 0, buffer.Ptr, 4096, 0, 4, SqeFlags.FixedFile);
        Assert.True(Ring.One(ring, 4).res < 0, "a fixed-file write succeeded after UnregisterFiles");
    }

    [Fact]
    public void Registered_buffers_work_with_READ_FIXED_and_WRITE_FIXED()
    {
        int fd = scratch.Open("fixed", new byte[16384]);
        using var mem = new NativeBuffer(16384);
        iovec* regions = stackalloc iovec[2];
        regions[0] = new iovec { iov_base = mem.Ptr, iov_len = 8192 };
        regions[1] = new iovec { iov_base = mem.Ptr + 8192, iov_len = 8192 };
        ring.RegisterBuffers(new ReadOnlySpan<iovec>(regions, 2));

        byte[] expected = Ring.Pattern(4096, 3);
        expected.CopyTo(mem.Span.Slice(4096, 4096));
        SqePrep.WriteFixed(Ring.Sqe(ring), fd, mem.Ptr + 4096, 4096, 8192, 0, 1);
        Ring.AssertOk(Ring.One(ring, 1), 4096);
        SqePrep.ReadFixed(Ring.Sqe(ring), fd, mem.Ptr + 8192 + 1024, 4096, 8192, 1, 2);
        Ring.AssertOk(Ring.One(ring, 2), 4096);

        Assert.True(mem.Span.Slice(8192 + 1024, 4096).SequenceEqual(expected));
        Assert.True(scratch.ReadAll("fixed").AsSpan(8192, 4096).SequenceEqual(expected));
        ring.UnregisterBuffers();
    }

    [Fact]
    public void PollAdd_completes_when_an_eventfd_is_signalled_and_Cancel_stops_a_poll()
    {
        int efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        Assert.True(efd >= 0, "eventfd: " + ErrnoExtensions.Last().Describe());
        try
        {
            SqePrep.PollAdd(Ring.Sqe(ring), efd, (uint)LibC.POLLIN, 1);
            Assert.Equal(1, ring.Submit());
            Assert.False(ring.TryPeek(out _));

            ulong one = 1;
            Assert.Equal(8, (int)LibC.write(efd, &one, 8));
            io_uring_cqe cqe = Ring.One(ring, 1);
            Assert.True((cqe.res & LibC.POLLIN) != 0, $"poll res {cqe.res}");

            // A poll on the drained eventfd never fires: cancel it by its user_data.
            ulong value;
            Assert.Equal(8, (int)LibC.read(efd, &value, 8));
            SqePrep.PollAdd(Ring.Sqe(ring), efd, (uint)LibC.POLLIN, 2);
            Assert.Equal(1, ring.Submit());
            SqePrep.Cancel(Ring.Sqe(ring), targetUserData: 2, userData: 3);
            io_uring_cqe[] both = Ring.Complete(ring, 2);
            io_uring_cqe poll = both[0].user_data == 2 ? both[0] : both[1];
            io_uring_cqe cancel = both[0].user_data == 3 ? both[0] : both[1];
            Assert.Equal(2ul, poll.user_data);
            Assert.Equal(3ul, cancel.user_data);
            Assert.Equal(-ECANCELED, poll.res);
            Assert.Equal(0, cancel.res);
        }
        finally
        {
            _ = LibC.close(efd);
        }
    }

    private static void Split(NativeBuffer buffer, int[] sizes, iovec* into)
    {
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            into[i] = new iovec { iov_base = buffer.Ptr + at, iov_len = sizes[i] };
            at += sizes[i];
        }

        Assert.Equal(buffer.Length, at);
    }

    private void AssertFallocate(io_uring_cqe cqe, string mode)
    {
        if (cqe.res == -(int)Errno.EOPNOTSUPP)
        {
            Assert.Fail($"fallocate {mode}: EOPNOTSUPP from the filesystem under {scratch.Dir}; point TMPDIR at ext4, xfs or btrfs");
        }

        Ring.AssertOk(cqe, 0);
    }
}
