using System;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// Base of backends that finish every request on the calling thread (RAM, null): memory copies, no
/// kernel round trip, so nothing is ever pending.
/// </summary>
public abstract unsafe class SyncQueueIo : IBlockQueueIo
{
    /// <inheritdoc />
    public byte StartTransfer(BlkSlot slot, bool write)
    {
        ulong offset = slot.Request.Sector * VirtioBlk.SECTOR_SIZE;
        foreach (IoSegment s in slot.Request.DataSegments)
        {
            if (write)
            {
                Store(offset, s.Host, s.Length);
            }
            else
            {
                Load(offset, s.Host, s.Length);
            }

            offset += s.Length;
        }

        slot.Written = write ? 0 : (uint)slot.Request.DataBytes;
        return VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <inheritdoc />
    public byte StartFlush(BlkSlot slot) => VirtioBlk.VIRTIO_BLK_S_OK;

    /// <inheritdoc />
    public byte StartZeroing(BlkSlot slot, bool discard)
    {
        for (int i = 0; i < slot.RangeCount; i++)
        {
            Zero(slot.Ranges[i].sector * VirtioBlk.SECTOR_SIZE, (ulong)slot.Ranges[i].num_sectors * VirtioBlk.SECTOR_SIZE);
        }

        return VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <inheritdoc />
    public byte Complete(BlkSlot slot, uint tag, int result) =>
        throw new InvalidOperationException("a synchronous backend has no completions");

    /// <summary>Copies backend bytes at <paramref name="offset"/> into the driver's buffer.</summary>
    protected abstract void Load(ulong offset, byte* destination, uint length);

    /// <summary>Copies the driver's buffer into the backend at <paramref name="offset"/>.</summary>
    protected abstract void Store(ulong offset, byte* source, uint length);

    /// <summary>Makes [offset, offset+length) read as zeroes.</summary>
    protected abstract void Zero(ulong offset, ulong length);

    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
