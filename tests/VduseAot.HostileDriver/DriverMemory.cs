using System;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>One IOVA range of <see cref="DriverMemory"/>: where it is in the memfd and for the device.</summary>
/// <param name="Name">For messages.</param>
/// <param name="Offset">Byte offset in the memfd (page aligned).</param>
/// <param name="Size">Bytes (page aligned).</param>
/// <param name="Iova">Where the device sees it.</param>
/// <param name="Perm">VHOST_ACCESS_* the IOTLB grants.</param>
public readonly record struct MemoryRegion(string Name, ulong Offset, ulong Size, ulong Iova, byte Perm)
{
    /// <summary>The IOVA of byte <paramref name="offset"/> of the region.</summary>
    public ulong At(ulong offset) => Iova + offset;
}

/// <summary>
/// The driver's "guest memory": one memfd mapped MAP_SHARED (vhost-vdpa hands a VDUSE device the
/// file behind each IOTLB range, so anonymous memory cannot be used), cut into fixed regions the
/// IOTLB maps at IOVAs far from 0 and from each other, so a stray address is never in one by luck.
/// </summary>
public sealed unsafe class DriverMemory : IDisposable
{
    private const ulong Page = 4096;

    /// <summary>Split rings, 16 KiB per queue: descriptors at 0, avail at 4 KiB, used at 8 KiB.</summary>
    public static readonly MemoryRegion Rings = new("rings", 0, 64 * 1024, 0x1_0000_0000, VhostUapi.VHOST_ACCESS_RW);

    /// <summary>Request headers, status bytes and indirect tables, 16 KiB per queue.</summary>
    public static readonly MemoryRegion Control = new("control", 64 * 1024, 64 * 1024, 0x1_0010_0000, VhostUapi.VHOST_ACCESS_RW);

    /// <summary>Data buffers, 1 MiB per queue (4 KiB per request slot): the region a case unmaps under I/O.</summary>
    public static readonly MemoryRegion Data = new("data", 128 * 1024, 4 * 1024 * 1024, 0x1_0100_0000, VhostUapi.VHOST_ACCESS_RW);

    /// <summary>A page the IOTLB grants the device read access to only.</summary>
    public static readonly MemoryRegion ReadOnly = new("read-only", (128 * 1024) + (4 * 1024 * 1024), Page, 0x1_0200_0000, VhostUapi.VHOST_ACCESS_RO);

    private static readonly MemoryRegion[] All = [Rings, Control, Data, ReadOnly];

    private readonly System.Collections.Generic.HashSet<string> _mapped = [];
    private readonly OwnedFd _memfd;
    private readonly byte* _base;
    private readonly ulong _size;

    /// <summary>Creates and maps the memfd; nothing is in the IOTLB yet (<see cref="MapAll"/>).</summary>
    public DriverMemory()
    {
        _size = ReadOnly.Offset + ReadOnly.Size;
        byte* name = stackalloc byte[] { (byte)'v', (byte)'h', (byte)'o', (byte)'s', (byte)'t', 0 };
        _memfd = OwnedFd.FromResult(LibC.memfd_create(name, LibC.MFD_CLOEXEC)) ?? throw DriverException.FromErrno("memfd_create");
        if (LibC.ftruncate(_memfd.Value, (long)_size) < 0)
        {
            throw DriverException.FromErrno("ftruncate of the memfd to " + _size + " bytes");
        }

        void* p = LibC.mmap(null, (size_t)_size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _memfd.Value, 0);
        if (p == LibC.MAP_FAILED)
        {
            throw DriverException.FromErrno("mmap of the memfd");
        }

        _base = (byte*)p;
    }

    /// <summary>The driver's pointer to byte <paramref name="offset"/> of <paramref name="region"/>.</summary>
    public byte* Host(in MemoryRegion region, ulong offset)
    {
        if (offset >= region.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset + " is past the " + region.Name + " region");
        }

        return _base + region.Offset + offset;
    }

    /// <summary>
    /// Puts every region not in the IOTLB yet there. vhost-vdpa keeps its IOTLB across a device
    /// reset, and a second update of a range fails (with EFAULT: vhost turns every message error
    /// into that), so what is mapped is remembered here instead.
    /// </summary>
    public void MapAll(VhostDevice device)
    {
        foreach (MemoryRegion r in All)
        {
            Errno e = _mapped.Contains(r.Name) ? Errno.OK : Map(device, r);
            if (e != Errno.OK)
            {
                throw new DriverException("IOTLB update of the " + r.Name + " region failed: " + e.Describe());
            }
        }
    }

    /// <summary>VHOST_IOTLB_UPDATE of <paramref name="region"/>; the errno.</summary>
    public Errno Map(VhostDevice device, in MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(device);
        Errno e = device.TryIotlb(VhostUapi.VHOST_IOTLB_UPDATE, region.Iova, region.Size, (ulong)Host(region, 0), region.Perm);
        if (e == Errno.OK)
        {
            _ = _mapped.Add(region.Name);
        }

        return e;
    }

    /// <summary>VHOST_IOTLB_INVALIDATE of <paramref name="region"/>; the errno.</summary>
    public Errno Unmap(VhostDevice device, in MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(device);
        Errno e = device.TryIotlb(VhostUapi.VHOST_IOTLB_INVALIDATE, region.Iova, region.Size, 0, 0);
        if (e == Errno.OK)
        {
            _ = _mapped.Remove(region.Name);
        }

        return e;
    }

    /// <summary>Unmaps and closes the memfd.</summary>
    public void Dispose()
    {
        _ = LibC.munmap(_base, (size_t)_size);
        _memfd.Dispose();
    }
}
