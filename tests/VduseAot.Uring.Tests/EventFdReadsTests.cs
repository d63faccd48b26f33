using System;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using Xunit;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Uring.Tests;

/// <summary>
/// EventFdReads.Retire on a real ring: after it returns no read holds the counters any more, so an
/// eventfd signalled later writes nothing there (a queue thread's stack frame, in the daemon: a late
/// kick once overwrote a return address with 1).
/// </summary>
public sealed unsafe class EventFdReadsTests
{
    private const ulong KickTag = 1UL << 63;
    private const ulong WakeTag = KickTag | 1;
    private const ulong Poison = 0xDEAD_BEEF_DEAD_BEEF;

    [Fact]
    public void AfterRetireALaterSignalWritesNoCounter()
    {
        using var ring = new IoUring(16);
        using var kick = new OwnedFd(LibC.eventfd(0, LibC.EFD_CLOEXEC));
        using var wake = new OwnedFd(LibC.eventfd(0, LibC.EFD_CLOEXEC));
        using var counters = new NativeBuffer(16);
        ulong* c = (ulong*)counters.Ptr;

        // The kick read is armed in the kernel; the wake read is only prepared, as a pass that
        // re-armed it and saw the stop request would leave it.
        SqePrep.Read(Ring.Sqe(ring), kick.Value, &c[0], sizeof(ulong), 0, KickTag);
        Assert.Equal(1, ring.Submit());
        SqePrep.Read(Ring.Sqe(ring), wake.Value, &c[1], sizeof(ulong), 0, WakeTag);
        SqePrep.Nop(Ring.Sqe(ring), 7);

        var others = new io_uring_cqe[4];
        int n = EventFdReads.Retire(ring, [kick.Value, wake.Value], [KickTag, WakeTag], others);

        Assert.Equal(1, n);
        Assert.Equal(7UL, others[0].user_data);
        Assert.Equal(0u, ring.CqReady);
        c[0] = Poison;
        c[1] = Poison;
        ulong one = 1;
        Assert.Equal(8, (int)LibC.write(kick.Value, &one, sizeof(ulong)));
        Assert.Equal(8, (int)LibC.write(wake.Value, &one, sizeof(ulong)));
        Thread.Sleep(100);
        Assert.Equal(0, ring.Submit());
        Assert.Equal(Poison, c[0]);
        Assert.Equal(Poison, c[1]);
        Assert.Equal(0u, ring.CqReady);
    }

    [Fact]
    public void MoreOtherCompletionsThanRoomIsAnError()
    {
        using var ring = new IoUring(16);
        using var kick = new OwnedFd(LibC.eventfd(0, LibC.EFD_CLOEXEC));
        using var counters = new NativeBuffer(8);
        SqePrep.Nop(Ring.Sqe(ring), 5);
        SqePrep.Nop(Ring.Sqe(ring), 6);
        Assert.Equal(2, ring.Submit());
        Thread.Sleep(50);
        SqePrep.Read(Ring.Sqe(ring), kick.Value, counters.Ptr, sizeof(ulong), 0, KickTag);
        var others = new io_uring_cqe[1];
        Assert.Throws<IoUringException>(() => EventFdReads.Retire(ring, [kick.Value], [KickTag], others));
    }
}
