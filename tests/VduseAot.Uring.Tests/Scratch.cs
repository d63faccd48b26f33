using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Interop;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Uring.Tests;

/// <summary>A temp directory of test files opened with libc's open(2); closes and deletes everything on dispose.</summary>
internal sealed class Scratch : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("vduse-uring-");
    private readonly List<int> fds = [];

    public string Dir => dir.FullName;

    /// <summary>Creates <paramref name="name"/> holding <paramref name="content"/> and opens it read-write.</summary>
    public int Open(string name, byte[] content) => Open(name, content, LibC.O_RDWR);

    /// <summary>Creates <paramref name="name"/> holding <paramref name="content"/> and opens it with <paramref name="flags"/>.</summary>
    public int Open(string name, byte[] content, int flags)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, content);
        return OpenExisting(name, flags);
    }

    public int OpenExisting(string name, int flags)
    {
        int fd = Sys.Open(PathOf(name), flags | LibC.O_CLOEXEC, 0);
        Assert.True(fd >= 0, $"open({PathOf(name)}) failed: {ErrnoExtensions.Last().Describe()}");
        fds.Add(fd);
        return fd;
    }

    public string PathOf(string name) => Path.Combine(dir.FullName, name);

    public byte[] ReadAll(string name) => File.ReadAllBytes(PathOf(name));

    public void Dispose()
    {
        foreach (int fd in fds)
        {
            _ = LibC.close(fd);
        }

        dir.Delete(recursive: true);
    }
}

/// <summary>Unmanaged memory for buffers the kernel reads or writes after submit (no pinning needed).</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(int length, byte fill = 0)
    {
        Length = length;
        Ptr = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1), 4096);
        Span.Fill(fill);
    }

    public byte* Ptr { get; private set; }

    public int Length { get; }

    public Span<byte> Span => new(Ptr, Length);

    public void Dispose()
    {
        NativeMemory.AlignedFree(Ptr);
        Ptr = null;
    }
}

/// <summary>Small helpers shared by the ring tests.</summary>
internal static unsafe class Ring
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        var rng = new Random(seed);
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Submits what is pending and returns exactly <paramref name="count"/> completions (blocking in the kernel).</summary>
    public static io_uring_cqe[] Complete(IoUring ring, int count)
    {
        var all = new io_uring_cqe[count];
        int got = 0;
        _ = ring.Submit();
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (got < count)
        {
            int n = ring.Reap(all.AsSpan(got));
            got += n;
            if (got < count && n == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {got} of {count} completions within {Timeout.TotalSeconds} s");
                _ = ring.SubmitAndWait(1);
            }
        }

        return all;
    }

    /// <summary>One completion, which must carry <paramref name="userData"/>.</summary>
    public static io_uring_cqe One(IoUring ring, ulong userData)
    {
        io_uring_cqe cqe = Complete(ring, 1)[0];
        Assert.Equal(userData, cqe.user_data);
        return cqe;
    }

    public static io_uring_sqe* Sqe(IoUring ring)
    {
        io_uring_sqe* sqe = ring.NextSqe();
        Assert.True(sqe != null, "NextSqe returned null: the SQ is unexpectedly full");
        return sqe;
    }

    public static void AssertOk(io_uring_cqe cqe, int expected)
        => Assert.True(cqe.res == expected, $"user_data {cqe.user_data}: res {cqe.res} ({Describe(cqe.res)}), expected {expected}");

    public static string Describe(int res) => res < 0 ? ((Errno)(-res)).Describe() : "ok";
}
