using System;
using VduseAot.Uring;

namespace VduseAot.Block;

/// <summary>Optional virtio-blk commands a backend can serve.</summary>
[Flags]
public enum BlkBackendFeatures
{
    /// <summary>Only read, write, flush.</summary>
    None = 0,
    /// <summary>VIRTIO_BLK_T_DISCARD.</summary>
    Discard = 1,
    /// <summary>VIRTIO_BLK_T_WRITE_ZEROES.</summary>
    WriteZeroes = 2,
}

/// <summary>
/// Storage behind a virtio-blk device, shared by all queues. Each queue thread opens its own
/// <see cref="IBlockQueueIo"/> so nothing on the request path is shared between threads.
/// </summary>
public interface IBlockBackend : IDisposable
{
    /// <summary>Size in bytes (a multiple of 512).</summary>
    ulong CapacityBytes { get; }

    /// <summary>True when writes must be refused (VIRTIO_BLK_F_RO).</summary>
    bool ReadOnly { get; }

    /// <summary>Optional commands served.</summary>
    BlkBackendFeatures Features { get; }

    /// <summary>Short text for logs: "ram 64 MiB", "file /srv/disk.img (direct)".</summary>
    string Describe();

    /// <summary>How the storage prefers to be addressed (none by default).</summary>
    BlkTopology Topology => BlkTopology.None;

    /// <summary>
    /// Changes the capacity to <paramref name="capacityBytes"/> (already checked by <see cref="BlkResize"/>):
    /// storage that must grow first grows, then <see cref="CapacityBytes"/> changes. Called off the
    /// queue threads, which read the capacity per request. Throws <see cref="BackendException"/> with
    /// a one-line reason when the backend cannot.
    /// </summary>
    void Resize(ulong capacityBytes);

    /// <summary>
    /// Opens the per-queue I/O path, called on the queue's own thread. <paramref name="ring"/> is that
    /// thread's io_uring, or null in tests; backends that need it throw when it is null.
    /// </summary>
    IBlockQueueIo OpenQueue(IoUring? ring);
}

/// <summary>
/// A queue's I/O path into the backend. Requests arrive validated (range, permission, ranges for
/// DISCARD/WRITE_ZEROES). Methods return a VIRTIO_BLK_S_* status, or <see cref="BlkStatus.Pending"/>
/// when the work went to the kernel; its completion is later passed to <see cref="Complete"/>.
/// </summary>
public interface IBlockQueueIo : IDisposable
{
    /// <summary>Starts an IN (read into the slot's iovecs) or OUT.</summary>
    byte StartTransfer(BlkSlot slot, bool write);

    /// <summary>Starts a FLUSH.</summary>
    byte StartFlush(BlkSlot slot);

    /// <summary>Starts a DISCARD or WRITE_ZEROES over <see cref="BlkSlot.Ranges"/>.</summary>
    byte StartZeroing(BlkSlot slot, bool discard);

    /// <summary>Handles one kernel completion (<paramref name="tag"/> as submitted, <paramref name="result"/> the cqe res).</summary>
    byte Complete(BlkSlot slot, uint tag, int result);
}
