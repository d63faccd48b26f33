using System;
using System.Runtime.InteropServices;

namespace VduseAot.Testing;

/// <summary>
/// "Guest" memory for tests: one native buffer seen at IOVAs starting at <see cref="Base"/> (non-zero,
/// so a zero address is always a bug). Translation can be forced to split every <see cref="RegionSize"/>
/// bytes, like an IOTLB with many small mappings, and ranges can be unmapped or made read-only.
/// </summary>
public sealed unsafe class GuestRam : IDisposable
{
    private readonly byte* _data;
    private ulong _next;
    private (ulong Start, ulong End, bool ReadOnly)[] _holes = [];

    /// <summary>Allocates <paramref name="bytes"/> of zeroed guest memory.</summary>
    public GuestRam(ulong bytes, ulong iovaBase = 0x10_0000, uint regionSize = 0)
    {
        Size = bytes;
        Base = iovaBase;
        RegionSize = regionSize;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        NativeMemory.Clear(_data, (nuint)bytes);
        _next = iovaBase;
    }

    /// <summary>First IOVA.</summary>
    public ulong Base { get; }

    /// <summary>Bytes.</summary>
    public ulong Size { get; }

    /// <summary>When non-zero, translations stop at multiples of this size.</summary>
    public uint RegionSize { get; set; }

    /// <summary>Translations made (to check caching and counts).</summary>
    public long Translations { get; private set; }

    /// <summary>Bump-allocates <paramref name="bytes"/> aligned to <paramref name="align"/>; returns the IOVA.</summary>
    public ulong Alloc(ulong bytes, ulong align = 16)
    {
        ulong at = (_next + align - 1) & ~(align - 1);
        if (at + bytes > Base + Size)
        {
            throw new InvalidOperationException("guest RAM exhausted");
        }

        _next = at + bytes;
        return at;
    }

    /// <summary>Host pointer of an IOVA (no checks: for the test's own reads and writes).</summary>
    public byte* Host(ulong iova) => _data + (iova - Base);

    /// <summary>A span over guest bytes, for the test's own use.</summary>
    public Span<byte> Span(ulong iova, int length) => new(Host(iova), length);

    /// <summary>Makes [start, start+length) unmapped, or read-only for the device.</summary>
    public void Protect(ulong start, ulong length, bool readOnly)
    {
        var list = new System.Collections.Generic.List<(ulong, ulong, bool)>(_holes) { (start, start + length, readOnly) };
        _holes = list.ToArray();
    }

    /// <summary>The <see cref="VduseAot.Virtio.IGuestMemory"/> view of this RAM.</summary>
    public FakeGuestMemory Memory => new(this);

    internal byte* Translate(ulong iova, uint length, bool write, out uint contiguous)
    {
        Translations++;
        contiguous = 0;
        if (iova < Base || iova >= Base + Size)
        {
            return null;
        }

        ulong end = Math.Min(iova + length, Base + Size);
        foreach ((ulong start, ulong holeEnd, bool readOnly) in _holes)
        {
            if (iova >= start && iova < holeEnd)
            {
                if (!readOnly || write)
                {
                    return null;
                }

                end = Math.Min(end, holeEnd);
            }
            else if (start > iova && start < end)
            {
                end = start;
            }
        }

        if (RegionSize != 0)
        {
            ulong regionEnd = ((iova - Base) / RegionSize + 1) * RegionSize + Base;
            end = Math.Min(end, regionEnd);
        }

        contiguous = (uint)(end - iova);
        return Host(iova);
    }

    /// <inheritdoc />
    public void Dispose() => NativeMemory.AlignedFree(_data);
}

/// <summary>IGuestMemory over a <see cref="GuestRam"/>.</summary>
public readonly unsafe struct FakeGuestMemory : VduseAot.Virtio.IGuestMemory
{
    private readonly GuestRam _ram;

    /// <summary>Wraps <paramref name="ram"/>.</summary>
    public FakeGuestMemory(GuestRam ram) => _ram = ram;

    /// <inheritdoc />
    public byte* Translate(ulong iova, uint length, bool write, out uint contiguous) => _ram.Translate(iova, length, write, out contiguous);
}
