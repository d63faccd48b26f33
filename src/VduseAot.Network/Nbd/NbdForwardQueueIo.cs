using System;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network.Nbd;

/// <summary>
/// A queue thread's side of the shared connection (<see cref="NbdSharedConnection"/>): each request
/// goes into the lane's request ring, one wake-up per pass tells the connection thread, and the
/// completions it posts come back through the lane's eventfd, read by this queue's io_uring. No
/// allocation, no lock; the slot belongs to the connection thread from the push until its completion.
/// </summary>
internal sealed unsafe class NbdForwardQueueIo : IConnectionQueueIo
{
    private const uint OpCompleted = 1;

    private readonly NbdSharedConnection _shared;
    private readonly NbdLane _lane;
    private readonly IoUring _ring;
    private IRequestFinisher _finisher = null!;
    private bool _posted;
    private bool _disposed;

    public NbdForwardQueueIo(NbdSharedConnection shared, IoUring ring)
    {
        _shared = shared;
        _ring = ring;
        _lane = shared.Claim();
    }

    /// <inheritdoc />
    public void Attach(IRequestFinisher finisher)
    {
        ArgumentNullException.ThrowIfNull(finisher);
        if (finisher.SlotCount > _shared.Stride)
        {
            throw new NetworkException("queue of " + finisher.SlotCount + " entries is larger than the " + _shared.Stride + " the shared NBD connection was sized for");
        }

        _finisher = finisher;
        _lane.Attach(finisher);

        // The queue that had the lane before may have left the wake-up flag set with its last read
        // gone with its ring; nothing of this queue is in flight yet, so clearing it loses nothing.
        _lane.Completed.Consume();
        ArmCompleted();
    }

    /// <inheritdoc />
    public byte StartTransfer(BlkSlot slot, bool write) => Post(slot, write ? NbdLaneRequest.Write : NbdLaneRequest.Read);

    /// <inheritdoc />
    public byte StartFlush(BlkSlot slot) => Post(slot, NbdLaneRequest.Flush);

    /// <inheritdoc />
    public byte StartZeroing(BlkSlot slot, bool discard) => Post(slot, discard ? NbdLaneRequest.Discard : NbdLaneRequest.WriteZeroes);

    private byte Post(BlkSlot slot, NbdLaneRequest kind)
    {
        _lane.Requests.Push(NbdLane.Request(slot.Index, kind));
        _posted = true;
        return BlkStatus.Pending;
    }

    /// <inheritdoc />
    public byte Complete(BlkSlot slot, uint tag, int result) => VirtioBlk.VIRTIO_BLK_S_IOERR; // every completion is a connection one

    /// <inheritdoc />
    public void Flush()
    {
        if (_posted)
        {
            // After the pushes of this pass: the signal's fence orders them before the wake-up.
            _posted = false;
            _shared.Wake.Signal();
        }
    }

    /// <inheritdoc />
    public void OnConnectionCompletion(uint tag, int result)
    {
        if (tag != OpCompleted)
        {
            return;
        }

        // Clear the wake-up first, then take what is there: a completion posted after the take signals again.
        _lane.Completed.Consume();
        while (_lane.Completions.TryPop(out uint entry))
        {
            _finisher.Finish(NbdLane.SlotOf(entry), NbdLane.StatusOf(entry));
        }

        if (!_disposed)
        {
            ArmCompleted();
        }
    }

    private void ArmCompleted() => _lane.Completed.ArmRead(_ring, BlkQueueUserDataCodec.EncodeConnection(OpCompleted));

    /// <summary>Called after the queue drained (nothing of it is on the connection): frees the lane.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _lane.Release();
        }
    }
}
