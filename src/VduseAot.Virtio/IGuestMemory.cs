namespace VduseAot.Virtio;

/// <summary>
/// Driver (guest) memory as the device sees it: IOVAs that translate to host pointers.
/// Queue code is generic over a struct implementing this so Native AOT specialises every call
/// (production: the VDUSE IOTLB map cache; tests: plain memory).
/// </summary>
public unsafe interface IGuestMemory
{
    /// <summary>
    /// Translates the start of [iova, iova + length) for a read (<paramref name="write"/> false) or a
    /// write by the device. Returns the host address and, in <paramref name="contiguous"/>, how many of
    /// the requested bytes are contiguous there (at most <paramref name="length"/>; less when the range
    /// crosses the end of a mapped region, so callers split it). Returns null when the IOVA is not mapped
    /// or the mapping forbids the access.
    /// </summary>
    byte* Translate(ulong iova, uint length, bool write, out uint contiguous);
}
