using System;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// One request in flight on a queue: the chain, its parsed request, the iovecs handed to the kernel
/// and the progress of a transfer that may complete in several pieces. Allocated once per queue entry;
/// its arrays live in storage the queue hands it (<see cref="SlotMemory"/>).
/// </summary>
public sealed unsafe class BlkSlot
{
    // Set when the slot owns its storage: keeps the pinned array (and so the pointers) alive.
    private readonly byte[]? _owned;
    private readonly iovec* _iovPointer;
    private readonly virtio_blk_discard_write_zeroes* _ranges;
    private readonly int _maxRanges;

    /// <summary>Creates slot <paramref name="index"/> able to hold <paramref name="maxSegments"/> segments, in memory of its own.</summary>
    public BlkSlot(ushort index, int maxSegments, int maxRanges)
        : this(index, maxSegments, maxRanges, null)
    {
    }

    /// <summary>
    /// Creates slot <paramref name="index"/> over <paramref name="storage"/>, <see cref="StorageBytes"/>
    /// bytes that the caller keeps alive as long as the slot (null: the slot allocates its own).
    /// </summary>
    public BlkSlot(ushort index, int maxSegments, int maxRanges, byte* storage)
    {
        Index = index;
        if (storage == null)
        {
            // Pinned: the kernel reads the iovecs after the submitting call has returned.
            _owned = GC.AllocateArray<byte>(StorageBytes(maxSegments, maxRanges), pinned: true);
            storage = (byte*)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_owned, 0);
        }

        // Chain first, then data, iovecs and ranges: a small request touches the first page of each
        // of the first two, the iovecs only when a file is read or written, the ranges only for
        // DISCARD and WRITE_ZEROES.
        Chain = new DescriptorChain((IoSegment*)storage, maxSegments);
        storage += DescriptorChain.StorageBytes(maxSegments);
        Request = new BlkRequest((IoSegment*)storage, maxSegments);
        storage += maxSegments * sizeof(IoSegment);
        _iovPointer = (iovec*)storage;
        storage += maxSegments * sizeof(iovec);
        _ranges = (virtio_blk_discard_write_zeroes*)storage;
        _maxRanges = maxRanges;
    }

    /// <summary>Bytes of storage a slot of <paramref name="maxSegments"/> segments and <paramref name="maxRanges"/> ranges needs.</summary>
    public static int StorageBytes(int maxSegments, int maxRanges) =>
        DescriptorChain.StorageBytes(maxSegments) + (maxSegments * (sizeof(IoSegment) + sizeof(iovec))) + (maxRanges * sizeof(virtio_blk_discard_write_zeroes));

    /// <summary>Position in the queue's slot table; part of every io_uring user_data of this slot.</summary>
    public ushort Index { get; }

    /// <summary>The popped chain.</summary>
    public DescriptorChain Chain { get; }

    /// <summary>The parsed request.</summary>
    public BlkRequest Request { get; }

    /// <summary>Iovec array for vectored I/O (as many as the slot has segments), in memory that does not move.</summary>
    public iovec* Iov => _iovPointer;

    /// <summary>First iovec not yet fully transferred.</summary>
    public int IovFirst { get; set; }

    /// <summary>Valid iovecs.</summary>
    public int IovCount { get; set; }

    /// <summary>Byte offset in the backend of the next transfer.</summary>
    public ulong Offset { get; set; }

    /// <summary>Bytes left to transfer.</summary>
    public ulong Remaining { get; set; }

    /// <summary>Validated DISCARD / WRITE_ZEROES ranges.</summary>
    public Span<virtio_blk_discard_write_zeroes> Ranges => new(_ranges, _maxRanges);

    /// <summary>Valid entries in <see cref="Ranges"/>.</summary>
    public int RangeCount { get; set; }

    /// <summary>Operations of this request still in the kernel.</summary>
    public int Pending { get; set; }

    /// <summary>Worst status seen among the request's operations so far.</summary>
    public byte Status { get; set; }

    /// <summary>Data bytes written into the driver's buffers (the used length minus the status byte).</summary>
    public uint Written { get; set; }

    /// <summary>Stopwatch timestamp of the pop, for the latency histogram.</summary>
    public long StartTicks { get; set; }

    /// <summary>Fills the iovecs from the request's data segments and sets up a transfer at <paramref name="offset"/>.</summary>
    public void PrepareTransfer(ulong offset)
    {
        ReadOnlySpan<IoSegment> data = Request.DataSegments;
        iovec* iov = Iov;
        for (int i = 0; i < data.Length; i++)
        {
            iov[i].iov_base = data[i].Host;
            iov[i].iov_len = data[i].Length;
        }

        IovFirst = 0;
        IovCount = data.Length;
        Offset = offset;
        Remaining = Request.DataBytes;
    }

    /// <summary>Accounts <paramref name="bytes"/> transferred: trims the iovecs so a resubmission continues where the kernel stopped.</summary>
    public void Advance(ulong bytes)
    {
        Offset += bytes;
        Remaining -= bytes;
        IovFirst = IovecCursor.Advance(Iov, IovFirst, IovCount, bytes);
    }
}
