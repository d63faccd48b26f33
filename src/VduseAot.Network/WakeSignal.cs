using System;
using System.Runtime.InteropServices;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network;

/// <summary>
/// Wakes a thread that sleeps in its io_uring with a read armed on this eventfd, with at most one
/// eventfd write per sleep: the first <see cref="Signal"/> after the sleeper's <see cref="Consume"/>
/// writes, later ones see the pending flag and make no system call. Any thread may signal; one
/// thread consumes. The 8-byte read buffer lives here so it outlives any ring the read was armed on.
/// </summary>
public sealed unsafe class WakeSignal : IDisposable
{
    private readonly OwnedFd _event;
    private ulong* _counter;
    private int _pending;

    /// <summary>A new eventfd, not signalled.</summary>
    public WakeSignal()
    {
        _event = OpenEventFd();
        _counter = (ulong*)NativeMemory.AllocZeroed(sizeof(ulong));
    }

    /// <summary>A non-blocking eventfd with count 0, for any of the network layer's wake-ups.</summary>
    internal static OwnedFd OpenEventFd() => OwnedFd.FromResult(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK))
        ?? throw new NetworkException("eventfd failed: " + ErrnoExtensions.Last().Describe());

    /// <summary>Arms the consumer's read of the eventfd on <paramref name="ring"/>, completing with <paramref name="userData"/>.</summary>
    public void ArmRead(IoUring ring, ulong userData)
    {
        ArgumentNullException.ThrowIfNull(ring);
        io_uring_sqe* sqe = ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            throw new NetworkException("io_uring submission queue stuck full");
        }

        SqePrep.Read(sqe, _event.Value, _counter, sizeof(ulong), 0, userData);
    }

    /// <summary>The eventfd to arm a read on.</summary>
    public int Fd => _event.Value;

    /// <summary>Where the armed read puts the counter (its value is not used).</summary>
    public ulong* Counter => _counter;

    /// <summary>
    /// Wakes the consumer. Call after publishing what it should find: the exchange is a full fence, so
    /// a consumer woken by this write, or one that already cleared the flag, sees what came before.
    /// </summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            ulong one = 1;
            _ = LibC.write(_event.Value, &one, sizeof(ulong));
        }
    }

    /// <summary>
    /// Consumer, when its read completed: clears the flag before it looks for work, so a signal that
    /// comes after the look writes again (a full fence: the look cannot move above the clear).
    /// </summary>
    public void Consume() => Interlocked.Exchange(ref _pending, 0);

    /// <inheritdoc />
    public void Dispose()
    {
        _event.Dispose();
        if (_counter != null)
        {
            NativeMemory.Free(_counter);
            _counter = null;
        }
    }
}
