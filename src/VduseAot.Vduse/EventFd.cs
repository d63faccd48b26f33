using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>eventfd helpers: a counter the kernel (kicks) or another thread (wake-ups) can signal.</summary>
public static unsafe class EventFd
{
    /// <summary>
    /// Creates a close-on-exec eventfd. Queue threads read theirs through io_uring, which needs a
    /// blocking one (io_uring fails a read on an O_NONBLOCK file with EAGAIN instead of waiting).
    /// </summary>
    public static OwnedFd Create(bool nonBlocking = true) =>
        OwnedFd.FromResult(LibC.eventfd(0, LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0)))
            ?? throw new VduseException("eventfd failed: " + ErrnoExtensions.Last().Describe());

    /// <summary>Adds one to the counter, waking a poller.</summary>
    public static void Signal(OwnedFd fd)
    {
        ulong one = 1;
        _ = LibC.write(fd.Value, &one, sizeof(ulong));
    }
}
