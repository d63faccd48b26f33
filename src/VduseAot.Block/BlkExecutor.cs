using System;
using VduseAot.Interop;

namespace VduseAot.Block;

/// <summary>
/// Executes parsed virtio-blk requests against a backend: range and permission checks, then the
/// backend call. Stateless apart from the serial, so every queue thread can share one instance.
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
    /// Runs <paramref name="request"/> (already parsed). Returns the status and, in
    /// <paramref name="written"/>, the data bytes the device wrote into the driver's buffers.
    /// </summary>
    public unsafe byte Execute(BlkRequest request, BlkQueueStats stats, out uint written)
    {
        written = 0;
        switch (request.Type)
        {
            case VirtioBlk.VIRTIO_BLK_T_IN:
            {
                if (!InRange(request))
                {
                    return VirtioBlk.VIRTIO_BLK_S_IOERR;
                }

                byte status = Backend.Read(request.Sector * VirtioBlk.SECTOR_SIZE, request.DataSegments);
                if (status == VirtioBlk.VIRTIO_BLK_S_OK)
                {
                    written = (uint)request.DataBytes;
                    stats.Reads++;
                    stats.BytesRead += request.DataBytes;
                }

                return status;
            }

            case VirtioBlk.VIRTIO_BLK_T_OUT:
            {
                if (Backend.ReadOnly || !InRange(request))
                {
                    return VirtioBlk.VIRTIO_BLK_S_IOERR;
                }

                byte status = Backend.Write(request.Sector * VirtioBlk.SECTOR_SIZE, request.DataSegments);
                if (status == VirtioBlk.VIRTIO_BLK_S_OK)
                {
                    stats.Writes++;
                    stats.BytesWritten += request.DataBytes;
                }

                return status;
            }

            case VirtioBlk.VIRTIO_BLK_T_FLUSH:
                stats.Flushes++;
                return Backend.Flush();

            case VirtioBlk.VIRTIO_BLK_T_GET_ID:
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

                written = (uint)from;
                return VirtioBlk.VIRTIO_BLK_S_OK;
            }

            default:
                return VirtioBlk.VIRTIO_BLK_S_UNSUPP;
        }
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
