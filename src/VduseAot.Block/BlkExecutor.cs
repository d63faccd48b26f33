using System;
using VduseAot.Interop;

namespace VduseAot.Block;

/// <summary>
/// Checks parsed virtio-blk requests (ranges, permissions, DISCARD/WRITE_ZEROES segments and flags)
/// and hands them to a queue's backend I/O path. GET_ID is answered here. Shared by all queue threads:
/// it holds no per-request state.
/// </summary>
public sealed class BlkExecutor
{
    private readonly byte[] _serial = new byte[VirtioBlk.VIRTIO_BLK_ID_BYTES];

    /// <summary>Serves <paramref name="backend"/> with the GET_ID answer <paramref name="serial"/> (truncated to 20 bytes).</summary>
    public BlkExecutor(IBlockBackend backend, string serial)
    {
        Backend = backend;

        // Truncate by bytes, not characters: the ID field is 20 bytes of whatever encoding.
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(serial);
        utf8.AsSpan(0, Math.Min(utf8.Length, _serial.Length)).CopyTo(_serial);
    }

    /// <summary>The storage.</summary>
    public IBlockBackend Backend { get; }

    /// <summary>
    /// Validates and starts the request in <paramref name="slot"/>. Returns the final status, or
    /// <see cref="BlkStatus.Pending"/> when the backend went to the kernel.
    /// </summary>
    public byte Start(BlkSlot slot, IBlockQueueIo io)
    {
        BlkRequest request = slot.Request;
        slot.Written = 0;
        switch (request.Type)
        {
            case VirtioBlk.VIRTIO_BLK_T_IN:
                return InRange(request) ? io.StartTransfer(slot, write: false) : VirtioBlk.VIRTIO_BLK_S_IOERR;
            case VirtioBlk.VIRTIO_BLK_T_OUT:
                return !Backend.ReadOnly && InRange(request) ? io.StartTransfer(slot, write: true) : VirtioBlk.VIRTIO_BLK_S_IOERR;
            case VirtioBlk.VIRTIO_BLK_T_FLUSH:
                return io.StartFlush(slot);
            case VirtioBlk.VIRTIO_BLK_T_GET_ID:
                slot.Written = CopySerial(request);
                return VirtioBlk.VIRTIO_BLK_S_OK;
            case VirtioBlk.VIRTIO_BLK_T_DISCARD:
            case VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES:
                bool discard = request.Type == VirtioBlk.VIRTIO_BLK_T_DISCARD;
                byte status = CheckZeroing(slot, discard);
                return status == VirtioBlk.VIRTIO_BLK_S_OK ? io.StartZeroing(slot, discard) : status;
            default:
                return VirtioBlk.VIRTIO_BLK_S_UNSUPP;
        }
    }

    private unsafe uint CopySerial(BlkRequest request)
    {
        // The serial is not NUL terminated when it is exactly 20 bytes; shorter buffers get a prefix.
        ulong left = Math.Min(request.DataBytes, (ulong)_serial.Length);
        int from = 0;
        foreach (Virtio.IoSegment s in request.DataSegments)
        {
            int n = (int)Math.Min(s.Length, left);
            _serial.AsSpan(from, n).CopyTo(new Span<byte>(s.Host, n));
            from += n;
            left -= (ulong)n;
            if (left == 0)
            {
                break;
            }
        }

        return (uint)from;
    }

    /// <summary>
    /// Reads and checks the segments of a DISCARD or WRITE_ZEROES (virtio 1.2 section 5.2.6): a command
    /// the device does not offer, too many segments or unknown flags are UNSUPP; a malformed payload, a
    /// range outside the disk, a segment over the announced maximum or a read-only disk are IOERR.
    /// </summary>
    private byte CheckZeroing(BlkSlot slot, bool discard)
    {
        BlkBackendFeatures needed = discard ? BlkBackendFeatures.Discard : BlkBackendFeatures.WriteZeroes;
        if ((Backend.Features & needed) == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_UNSUPP;
        }

        BlkRequest request = slot.Request;
        if (request.DataBytes == 0 || request.DataBytes % BlkLimits.RangeBytes != 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        ulong count = request.DataBytes / BlkLimits.RangeBytes;
        if (count > (ulong)Math.Min(BlkLimits.MaxZeroingSegments, slot.Ranges.Length))
        {
            return VirtioBlk.VIRTIO_BLK_S_UNSUPP;
        }

        if (Backend.ReadOnly)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        Span<byte> raw = stackalloc byte[BlkLimits.RangeBytes];
        ulong sectors = Backend.CapacityBytes / VirtioBlk.SECTOR_SIZE;
        for (int i = 0; i < (int)count; i++)
        {
            SegmentCopy.Gather(request.DataSegments, (ulong)i * BlkLimits.RangeBytes, raw);
            var range = new virtio_blk_discard_write_zeroes
            {
                sector = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw),
                num_sectors = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(8)),
                flags = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(12)),
            };
            uint allowedFlags = discard ? 0 : BlkLimits.WriteZeroesFlagUnmap;
            if ((range.flags & ~allowedFlags) != 0)
            {
                return VirtioBlk.VIRTIO_BLK_S_UNSUPP;
            }

            if (range.num_sectors > BlkLimits.MaxZeroingSectors || range.sector > sectors || range.num_sectors > sectors - range.sector)
            {
                return VirtioBlk.VIRTIO_BLK_S_IOERR;
            }

            slot.Ranges[i] = range;
        }

        slot.RangeCount = (int)count;
        return VirtioBlk.VIRTIO_BLK_S_OK;
    }

    private bool InRange(BlkRequest request)
    {
        ulong capacity = Backend.CapacityBytes;

        // The used length is 32 bits: a request of 4 GiB or more cannot be reported, so it is refused.
        if (request.DataBytes % VirtioBlk.SECTOR_SIZE != 0 || request.DataBytes >= uint.MaxValue
            || request.Sector > capacity / VirtioBlk.SECTOR_SIZE)
        {
            return false;
        }

        return request.DataBytes <= capacity - (request.Sector * VirtioBlk.SECTOR_SIZE);
    }
}
