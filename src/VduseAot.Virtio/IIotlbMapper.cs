namespace VduseAot.Virtio;

/// <summary>One region of the device's IOTLB, mapped into this process.</summary>
public unsafe struct IotlbRegion
{
    /// <summary>First IOVA of the region.</summary>
    public ulong Start;

    /// <summary>Last IOVA of the region (inclusive).</summary>
    public ulong Last;

    /// <summary>Where the region's first byte is mapped.</summary>
    public byte* Host;

    /// <summary>The device may read it.</summary>
    public bool Readable;

    /// <summary>The device may write it.</summary>
    public bool Writable;
}

/// <summary>
/// Where <see cref="IotlbCache"/> gets regions from: for VDUSE an ioctl and an mmap (in the Vduse
/// layer), for tests memory of their own. Called only on a miss and when regions are dropped.
/// </summary>
public interface IIotlbMapper
{
    /// <summary>Maps the region holding <paramref name="iova"/>; false when the IOTLB has none (or it cannot be mapped).</summary>
    bool Map(ulong iova, out IotlbRegion region);

    /// <summary>Unmaps a region <see cref="Map"/> returned.</summary>
    void Unmap(in IotlbRegion region);
}
