using System;
using System.Runtime.InteropServices;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// A disk held in process memory. Zeroed allocation lets the C library take fresh pages from the
/// kernel lazily, so an unwritten 1 TiB RAM disk costs nothing until used. Safe for several queue
/// threads at once: they touch disjoint or guest-ordered ranges and the guest orders overlapping I/O.
/// </summary>
public sealed unsafe class RamBackend : IBlockBackend
{
    private byte* _data;

    /// <summary>Allocates a zeroed disk of <paramref name="capacityBytes"/>.</summary>
    public RamBackend(ulong capacityBytes, bool readOnly)
    {
        CapacityBytes = capacityBytes;
        ReadOnly = readOnly;
        _data = (byte*)NativeMemory.AllocZeroed((nuint)capacityBytes);
    }

    /// <inheritdoc />
    public ulong CapacityBytes { get; }

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public string Describe() => "ram " + SizeText.Format(CapacityBytes);

    /// <inheritdoc />
    public byte Read(ulong offset, ReadOnlySpan<IoSegment> destination)
    {
        byte* from = _data + offset;
        foreach (IoSegment s in destination)
        {
            Buffer.MemoryCopy(from, s.Host, s.Length, s.Length);
            from += s.Length;
        }

        return VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <inheritdoc />
    public byte Write(ulong offset, ReadOnlySpan<IoSegment> source)
    {
        byte* to = _data + offset;
        foreach (IoSegment s in source)
        {
            Buffer.MemoryCopy(s.Host, to, s.Length, s.Length);
            to += s.Length;
        }

        return VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <inheritdoc />
    public byte Flush() => VirtioBlk.VIRTIO_BLK_S_OK;

    /// <inheritdoc />
    public void Dispose()
    {
        NativeMemory.Free(_data);
        _data = null;
    }
}
