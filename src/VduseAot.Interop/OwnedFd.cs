using System;
using System.Threading;
using Tmds.Linux;

namespace VduseAot.Interop;

/// <summary>
/// The one owner of an open file descriptor: closes it exactly once, on <see cref="Dispose"/>, unless
/// ownership was handed on with <see cref="Release"/>. Modelled on Rust's <c>OwnedFd</c>; the raw number
/// stays available (<see cref="Value"/>) for system calls and io_uring SQEs, which take ints.
/// </summary>
public sealed class OwnedFd : IDisposable
{
    private int _fd;

    /// <summary>Takes ownership of <paramref name="fd"/>, which must be open.</summary>
    public OwnedFd(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _fd = fd;
    }

    /// <summary>The descriptor, or -1 once closed or released.</summary>
    public int Value => Volatile.Read(ref _fd);

    /// <summary>False once closed or released.</summary>
    public bool IsOpen => Value >= 0;

    /// <summary>
    /// Takes <paramref name="fd"/> when a call succeeded (non-negative) and returns null otherwise, so a
    /// caller can read errno right after: <c>OwnedFd.FromResult(open(...)) ?? throw ...</c>.
    /// </summary>
    public static OwnedFd? FromResult(int fd) => fd >= 0 ? new OwnedFd(fd) : null;

    /// <summary>Gives up ownership without closing: the caller (or another owner) closes what is returned.</summary>
    public int Release() => Interlocked.Exchange(ref _fd, -1);

    /// <summary>Closes the descriptor if this still owns it; later calls do nothing.</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // close(2) releases the descriptor even when it reports an error (EINTR, EIO): never retry.
            _ = LibC.close(fd);
        }
    }
}
