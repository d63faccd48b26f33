using System;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// One request in flight on a queue: the chain, its parsed request, the iovecs handed to the kernel
/// and the progress of a transfer that may complete in several pieces. Allocated once per queue entry.
/// </summary>
public sealed unsafe class BlkSlot
{
    private readonly iovec[] _iov;
    private readonly iovec* _iovPointer;

    /// <summary>Creates slot <paramref name="index"/> able to hold <paramref name="maxSegments"/> segments.</summary>
    public BlkSlot(ushort index, int maxSegments, int maxRanges)
    {
        Index = index;
        Chain = new DescriptorChain(maxSegments);
        Request = new BlkRequest(maxSegments);

        // Pinned: the kernel reads these iovecs after the submitting call has returned.
        _iov = GC.AllocateArray<iovec>(maxSegments, pinned: true);
        _iovPointer = (iovec*)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0);
        Ranges = new virtio_blk_discard_write_zeroes[maxRanges];
    }

    /// <summary>Position in the queue's slot table; part of every io_uring user_data of this slot.</summary>
    public ushort Index { get; }

    /// <summary>The popped chain.</summary>
    public DescriptorChain Chain { get; }

    /// <summary>The parsed request.</summary>
    public BlkRequest Request { get; }

    /// <summary>Pinned iovec array for vectored I/O.</summary>
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
    public virtio_blk_discard_write_zeroes[] Ranges { get; }

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
        iovec* iov = Iov;
        while (bytes > 0 && IovFirst < IovCount)
        {
            ulong len = iov[IovFirst].iov_len;
            if (bytes < len)
            {
                iov[IovFirst].iov_base = (byte*)iov[IovFirst].iov_base + bytes;
                iov[IovFirst].iov_len = (size_t)(len - bytes);
                return;
            }

            bytes -= len;
            IovFirst++;
        }
    }
}
