namespace VduseAot.Virtio;

/// <summary>
/// Per-thread cache of the device's IOVA regions mapped into this process. A miss asks the mapper
/// (VDUSE: one ioctl and one mmap); hits are a check of the last region, then a binary search over
/// regions sorted by start. Translation stops at a region's end so callers split buffers that span
/// regions. Regions stay mapped until <see cref="Invalidate"/> or <see cref="Clear"/>: never to make
/// room, because requests in flight and the rings hold pointers into them. Past
/// <see cref="MaxRegions"/> a new region is not kept and its request fails. Owned by one thread;
/// allocates only when constructed.
/// </summary>
public sealed unsafe class IotlbCache
{
    /// <summary>Most regions held: a VM's memory map and every queue's rings fit many times over.</summary>
    public const int MaxRegions = 1024;

    private readonly IIotlbMapper _mapper;
    private readonly IotlbRegion[] _regions = new IotlbRegion[MaxRegions];
    private int _count;
    private int _last;

    /// <summary>Translates through regions <paramref name="mapper"/> maps.</summary>
    public IotlbCache(IIotlbMapper mapper) => _mapper = mapper;

    /// <summary>Regions currently mapped.</summary>
    public int Count => _count;

    /// <summary>Misses that asked the mapper (for tests and stats).</summary>
    public long Misses { get; private set; }

    /// <summary>Regions mapped and dropped at once because <see cref="MaxRegions"/> were held (their requests failed).</summary>
    public long Overflows { get; private set; }

    /// <summary>See <see cref="IGuestMemory.Translate"/>.</summary>
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

        ref IotlbRegion r = ref _regions[i];
        if (!(write ? r.Writable : r.Readable))
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
        if (!_mapper.Map(iova, out IotlbRegion region))
        {
            return -1;
        }

        // Where it goes in the array sorted by start.
        int at = _count;
        while (at > 0 && _regions[at - 1].Start > region.Start)
        {
            at--;
        }

        bool overlaps = (at > 0 && _regions[at - 1].Last >= region.Start) || (at < _count && _regions[at].Start <= region.Last);
        if (region.Start > iova || region.Last < iova || overlaps || _count == MaxRegions)
        {
            // Not what was asked for, overlapping what is held (the kernel's regions never overlap),
            // or no room: dropping a held region would pull memory from under requests in flight.
            Overflows += _count == MaxRegions ? 1 : 0;
            _mapper.Unmap(region);
            return -1;
        }

        System.Array.Copy(_regions, at, _regions, at + 1, _count - at);
        _regions[at] = region;
        _count++;
        return at;
    }

    /// <summary>
    /// Unmaps the regions that overlap IOVAs [<paramref name="start"/>, <paramref name="last"/>]
    /// (an IOTLB update changed them); the others stay. Pointers into the dropped ones are invalid
    /// afterwards. Returns how many were dropped.
    /// </summary>
    public int Invalidate(ulong start, ulong last)
    {
        int kept = 0;
        int dropped = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_regions[i].Start <= last && _regions[i].Last >= start)
            {
                _mapper.Unmap(_regions[i]);
                dropped++;
            }
            else
            {
                _regions[kept++] = _regions[i];
            }
        }

        _count = kept;
        _last = 0;
        return dropped;
    }

    /// <summary>True when a held region overlaps IOVAs [<paramref name="start"/>, <paramref name="last"/>].</summary>
    public bool Overlaps(ulong start, ulong last)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_regions[i].Start <= last && _regions[i].Last >= start)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Unmaps every region. Pointers handed out before are invalid afterwards.</summary>
    public void Clear() => Invalidate(0, ulong.MaxValue);
}
