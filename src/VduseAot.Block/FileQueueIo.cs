using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Block;

/// <summary>
/// One queue thread's path into a <see cref="FileBackend"/>: every request becomes one or more SQEs on
/// the thread's io_uring (the file registered as fixed file 0), and completions finish or continue it.
/// Short transfers are resubmitted for the remainder; errors end the request with IOERR only.
/// </summary>
internal sealed unsafe class FileQueueIo : IBlockQueueIo
{
    // Low byte of the tag: what the SQE did. Bits 8+ of a zeroing tag: which range.
    private const uint OpRead = 1;
    private const uint OpWrite = 2;
    private const uint OpFlush = 3;
    private const uint OpZeroRange = 4;
    private const uint OpPunch = 5;
    private const int FixedFile = 0;

    // UIO_MAXIOV: the kernel refuses longer vectors; the short-transfer path sends the rest.
    private const int MaxIov = 1024;

    private readonly FileBackend _backend;
    private readonly IoUring _ring;

    public FileQueueIo(FileBackend backend, IoUring ring)
    {
        _backend = backend;
        _ring = ring;

        // A registered file spares the kernel an fd lookup and reference per request.
        ring.RegisterFiles([backend.Fd]);
    }

    public byte StartTransfer(BlkSlot slot, bool write)
    {
        slot.PrepareTransfer(slot.Request.Sector * VirtioBlk.SECTOR_SIZE);
        if (slot.Remaining == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_OK;
        }

        slot.Pending = 1;
        return SubmitTransfer(slot, write);
    }

    private byte SubmitTransfer(BlkSlot slot, bool write)
    {
        io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        iovec* iov = slot.Iov + slot.IovFirst;
        uint count = (uint)System.Math.Min(slot.IovCount - slot.IovFirst, MaxIov);
        ulong userData = BlkQueueUserDataCodec.Encode(slot.Index, write ? OpWrite : OpRead);
        if (write)
        {
            SqePrep.Writev(sqe, FixedFile, iov, count, slot.Offset, userData, SqeFlags.FixedFile);
        }
        else
        {
            SqePrep.Readv(sqe, FixedFile, iov, count, slot.Offset, userData, SqeFlags.FixedFile);
        }

        return BlkStatus.Pending;
    }

    public byte StartFlush(BlkSlot slot)
    {
        io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        slot.Pending = 1;
        SqePrep.Fsync(sqe, FixedFile, dataSync: true, BlkQueueUserDataCodec.Encode(slot.Index, OpFlush), SqeFlags.FixedFile);
        return BlkStatus.Pending;
    }

    public byte StartZeroing(BlkSlot slot, bool discard)
    {
        slot.Status = VirtioBlk.VIRTIO_BLK_S_OK;
        slot.Pending = 0;
        ulong* range = stackalloc ulong[2];
        for (int i = 0; i < slot.RangeCount; i++)
        {
            virtio_blk_discard_write_zeroes r = slot.Ranges[i];
            ulong offset = r.sector * VirtioBlk.SECTOR_SIZE;
            ulong length = (ulong)r.num_sectors * VirtioBlk.SECTOR_SIZE;
            if (length == 0)
            {
                continue;
            }

            if (discard && _backend.IsBlockDevice)
            {
                // io_uring has no discard for block devices on the kernels we support; BLKDISCARD is
                // synchronous but bounded by max_discard_sectors, and discards are rare.
                range[0] = offset;
                range[1] = length;
                if (LibC.ioctl(_backend.Fd, BlockIoctl.BLKDISCARD, range) < 0)
                {
                    slot.Status = VirtioBlk.VIRTIO_BLK_S_IOERR;
                }

                continue;
            }

            bool punch = discard || (r.flags & BlkLimits.WriteZeroesFlagUnmap) != 0 || _backend.ZeroRangeUnsupported;
            if (!SubmitZeroing(slot, i, punch))
            {
                slot.Status = VirtioBlk.VIRTIO_BLK_S_IOERR;
                continue;
            }

            slot.Pending++;
        }

        return slot.Pending == 0 ? slot.Status : BlkStatus.Pending;
    }

    private bool SubmitZeroing(BlkSlot slot, int rangeIndex, bool punch)
    {
        io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            return false;
        }

        virtio_blk_discard_write_zeroes r = slot.Ranges[rangeIndex];
        int mode = LibC.FALLOC_FL_KEEP_SIZE | (punch ? LibC.FALLOC_FL_PUNCH_HOLE : Sys.FALLOC_FL_ZERO_RANGE);
        uint tag = (punch ? OpPunch : OpZeroRange) | ((uint)rangeIndex << 8);
        SqePrep.Fallocate(sqe, FixedFile, mode, r.sector * VirtioBlk.SECTOR_SIZE, (ulong)r.num_sectors * VirtioBlk.SECTOR_SIZE,
            BlkQueueUserDataCodec.Encode(slot.Index, tag), SqeFlags.FixedFile);
        return true;
    }

    public byte Complete(BlkSlot slot, uint tag, int result)
    {
        switch (tag & 0xff)
        {
            case OpRead:
            case OpWrite:
                bool write = (tag & 0xff) == OpWrite;
                if (result <= 0)
                {
                    // An error, or no progress at all (a read past the end of a shrunken file): give up.
                    return VirtioBlk.VIRTIO_BLK_S_IOERR;
                }

                slot.Advance((ulong)result);
                if (slot.Remaining > 0)
                {
                    return SubmitTransfer(slot, write);
                }

                slot.Written = write ? 0 : (uint)slot.Request.DataBytes;
                return VirtioBlk.VIRTIO_BLK_S_OK;
            case OpFlush:
                return result < 0 ? VirtioBlk.VIRTIO_BLK_S_IOERR : VirtioBlk.VIRTIO_BLK_S_OK;
            default:
                return CompleteZeroing(slot, tag, result);
        }
    }

    private byte CompleteZeroing(BlkSlot slot, uint tag, int result)
    {
        if (result == -(int)Errno.EOPNOTSUPP && (tag & 0xff) == OpZeroRange)
        {
            // tmpfs and some others punch holes but cannot zero a range in place; a hole reads as
            // zeroes, which is all WRITE_ZEROES promises.
            _backend.ZeroRangeUnsupported = true;
            if (SubmitZeroing(slot, (int)(tag >> 8), punch: true))
            {
                return BlkStatus.Pending;
            }

            result = -(int)Errno.EIO;
        }

        if (result < 0)
        {
            slot.Status = VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        slot.Pending--;
        return slot.Pending == 0 ? slot.Status : BlkStatus.Pending;
    }

    /// <inheritdoc />
    public void Dispose() => _ring.UnregisterFiles();
}
