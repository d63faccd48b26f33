using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>
/// Maps a VDUSE device's IOTLB regions: VDUSE_IOTLB_GET_FD for the region holding an IOVA, then an
/// mmap of its file with the access the IOTLB grants. Runs on the queue thread on a cache miss:
/// allocates nothing.
/// </summary>
public sealed unsafe class VduseIotlbMapper(int deviceFd) : IIotlbMapper
{
    /// <inheritdoc />
    public bool Map(ulong iova, out IotlbRegion region)
    {
        region = default;
        vduse_iotlb_entry entry = new() { start = iova, last = iova };
        int fd = LibC.ioctl(deviceFd, VduseUapi.VDUSE_IOTLB_GET_FD, &entry);
        if (fd < 0)
        {
            return false;
        }

        bool readable = (entry.perm & VduseUapi.VDUSE_ACCESS_RO) != 0;
        bool writable = (entry.perm & VduseUapi.VDUSE_ACCESS_WO) != 0;
        int prot = (readable ? LibC.PROT_READ : 0) | (writable ? LibC.PROT_WRITE : 0);
        ulong size = entry.last - entry.start + 1;

        // The mapping keeps the region's file, so the descriptor goes at once. Closed by hand, not
        // through an OwnedFd: a miss runs on the queue thread, which allocates nothing after start-up.
        void* host = LibC.mmap(null, (size_t)size, prot, LibC.MAP_SHARED, fd, (long)entry.offset);
        _ = LibC.close(fd);
        if (host == LibC.MAP_FAILED)
        {
            return false;
        }

        region = new IotlbRegion { Start = entry.start, Last = entry.last, Host = (byte*)host, Readable = readable, Writable = writable };
        return true;
    }

    /// <inheritdoc />
    public void Unmap(in IotlbRegion region) => _ = LibC.munmap(region.Host, (size_t)(region.Last - region.Start + 1));
}
