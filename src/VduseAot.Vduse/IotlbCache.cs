using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Per-thread cache of IOVA regions mapped from the VDUSE device (VDUSE_IOTLB_GET_FD + mmap). A miss
/// costs one ioctl and one mmap; hits are a check of the last region, then a binary search over
/// regions sorted by start. Translation stops at a region's end so callers split buffers that span
/// regions. Owned by one thread; <see cref="Clear"/> on UPDATE_IOTLB and on reset.
/// </summary>
public sealed unsafe class IotlbCache
{
    private const int MaxRegions = 64;
    private readonly int _deviceFd;
    private readonly Region[] _regions = new Region[MaxRegions];
    private int _count;
    private int _last;

    private struct Region
    {
        public ulong Start;
        public ulong Last;
        public byte* Host;
        public byte Perm;
    }

    /// <summary>Translates through the IOTLB of the device open as <paramref name="deviceFd"/>.</summary>
    public IotlbCache(int deviceFd) => _deviceFd = deviceFd;

    /// <summary>Regions currently mapped.</summary>
    public int Count => _count;

    /// <summary>Misses that asked the kernel (for tests and stats).</summary>
    public long Misses { get; private set; }

    /// <summary>See <see cref="Virtio.IGuestMemory.Translate"/>.</summary>
    public byte* Translate(ulong iova, uint length, bool write, out uint contiguous)
    {
        contiguous = 0;
        int i = _last;
        if (i >= _count || iova < _regions[i].Start || iova > _regions[i].Last)
        {
            i = Find(iova);
            if (i < 0)
            {
                i = Fill(iova);
                if (i < 0)
                {
                    return null;
                }
            }

            _last = i;
        }

        ref Region r = ref _regions[i];
        if ((r.Perm & (write ? VduseUapi.VDUSE_ACCESS_WO : VduseUapi.VDUSE_ACCESS_RO)) == 0)
        {
            return null;
        }

        ulong room = r.Last - iova + 1;
        contiguous = room < length ? (uint)room : length;
        return r.Host + (iova - r.Start);
    }

    private int Find(ulong iova)
    {
        int lo = 0;
        int hi = _count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (iova < _regions[mid].Start)
            {
                hi = mid - 1;
            }
            else if (iova > _regions[mid].Last)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }

        return -1;
    }

    private int Fill(ulong iova)
    {
        Misses++;
        vduse_iotlb_entry entry = new() { start = iova, last = iova };
        int fd = LibC.ioctl(_deviceFd, VduseUapi.VDUSE_IOTLB_GET_FD, &entry);
        if (fd < 0)
        {
            return -1;
        }

        int prot = ((entry.perm & VduseUapi.VDUSE_ACCESS_RO) != 0 ? LibC.PROT_READ : 0) | ((entry.perm & VduseUapi.VDUSE_ACCESS_WO) != 0 ? LibC.PROT_WRITE : 0);
        nuint size = (nuint)(entry.last - entry.start + 1);
        // The mapping keeps the region's file, so the descriptor goes at once. Closed by hand, not
        // through an OwnedFd: a miss runs on the queue thread, which allocates nothing after start-up.
        void* host = LibC.mmap(null, (size_t)(ulong)size, prot, LibC.MAP_SHARED, fd, (long)entry.offset);
        _ = LibC.close(fd);
        if (host == LibC.MAP_FAILED || entry.start > iova || entry.last < iova)
        {
            if (host != LibC.MAP_FAILED)
            {
                _ = LibC.munmap(host, (size_t)(ulong)size);
            }

            return -1;
        }

        if (_count == MaxRegions)
        {
            Clear();
        }

        // Keep the array sorted by start; the kernel's regions never overlap.
        int at = _count;
        while (at > 0 && _regions[at - 1].Start > entry.start)
        {
            _regions[at] = _regions[at - 1];
            at--;
        }

        _regions[at] = new Region { Start = entry.start, Last = entry.last, Host = (byte*)host, Perm = entry.perm };
        _count++;
        return at;
    }

    /// <summary>Unmaps every region. Pointers handed out before are invalid afterwards.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _ = LibC.munmap(_regions[i].Host, (size_t)(ulong)((nuint)(_regions[i].Last - _regions[i].Start + 1)));
        }

        _count = 0;
        _last = 0;
    }
}
