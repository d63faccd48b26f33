using System;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network;

/// <summary>
/// A pipe that takes a send's pages by reference (vmsplice) for io_uring to splice into the socket:
/// the kernel sends the guest's pages themselves instead of a copy of them. This is safe only because
/// nothing sent changes before the server has taken it: a request's data and headers stay as they
/// are until its reply, and a reply comes only after the server received what it answers.
/// </summary>
internal sealed unsafe class PayloadPipe : IDisposable
{
    // 256 pages: a batch of 16 writes of 64 KiB, or 64 of 4 KiB with their headers, in one fill.
    private const int Capacity = 1 << 20;

    // UIO_MAXIOV: the most iovecs one vmsplice takes.
    private const int UioMaxIov = 1024;

    private OwnedFd _read;
    private OwnedFd _write;

    private PayloadPipe(OwnedFd read, OwnedFd write)
    {
        _read = read;
        _write = write;
    }

    /// <summary>The end io_uring splices from.</summary>
    public int ReadFd => _read.Value;

    /// <summary>A pipe of 1 MiB (or the system's default size), or null when none can be made.</summary>
    public static PayloadPipe? TryCreate() => TryOpen(out OwnedFd? read, out OwnedFd? write) ? new PayloadPipe(read!, write!) : null;

    private static bool TryOpen(out OwnedFd? read, out OwnedFd? write)
    {
        (read, write) = (null, null);
        int* fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) < 0)
        {
            return false;
        }

        // Best effort: a smaller pipe only makes more fills per batch.
        _ = LibC.fcntl(fds[1], Sys.F_SETPIPE_SZ, Capacity);
        (read, write) = (new OwnedFd(fds[0]), new OwnedFd(fds[1]));
        return true;
    }

    /// <summary>
    /// Puts as much of <paramref name="iov"/>[0, <paramref name="count"/>) into the (empty) pipe as it
    /// takes; returns the bytes taken, or -1 with errno (EFAULT: memory the kernel cannot take by reference).
    /// </summary>
    public long Fill(iovec* iov, int count) =>
        Sys.vmsplice(_write.Value, iov, (nuint)Math.Min(count, UioMaxIov), Sys.SPLICE_F_NONBLOCK);

    /// <summary>Drops whatever the pipe holds (bytes meant for a connection that is gone) by making a new one.</summary>
    public bool Renew()
    {
        if (!TryOpen(out OwnedFd? read, out OwnedFd? write))
        {
            return false;
        }

        Dispose();
        (_read, _write) = (read!, write!);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _read.Dispose();
        _write.Dispose();
    }
}
