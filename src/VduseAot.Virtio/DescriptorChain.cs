namespace VduseAot.Virtio;

/// <summary>
/// One popped descriptor chain, translated to host segments: device-readable ones first, then
/// device-writable ones, as the spec requires. Instances are allocated once per request slot at
/// start-up and refilled by every pop, so the hot path allocates nothing.
/// </summary>
public sealed class DescriptorChain
{
    /// <summary>Creates a chain slot that can hold up to <paramref name="maxSegments"/> segments per direction.</summary>
    public DescriptorChain(int maxSegments)
    {
        Readable = new IoSegment[maxSegments];
        Writable = new IoSegment[maxSegments];
    }

    /// <summary>The id the used ring reports: the head index (split) or the buffer id (packed).</summary>
    public ushort Head { get; internal set; }

    /// <summary>Descriptor-ring slots the chain occupies (packed rings advance the used index by this).</summary>
    public ushort RingSlots { get; internal set; }

    /// <summary>None, or the first mistake found while walking.</summary>
    public ChainError Error { get; internal set; }

    /// <summary>Descriptors walked.</summary>
    public int DescriptorCount { get; internal set; }

    /// <summary>Device-readable segments; the first <see cref="ReadableCount"/> are valid.</summary>
    public IoSegment[] Readable { get; }

    /// <summary>Valid entries in <see cref="Readable"/>.</summary>
    public int ReadableCount { get; internal set; }

    /// <summary>Sum of the readable lengths.</summary>
    public ulong ReadableBytes { get; internal set; }

    /// <summary>Device-writable segments; the first <see cref="WritableCount"/> are valid (also after an error: what was walked).</summary>
    public IoSegment[] Writable { get; }

    /// <summary>Valid entries in <see cref="Writable"/>.</summary>
    public int WritableCount { get; internal set; }

    /// <summary>Sum of the writable lengths.</summary>
    public ulong WritableBytes { get; internal set; }

    internal void Reset(ushort head)
    {
        Head = head;
        RingSlots = 1;
        Error = ChainError.None;
        DescriptorCount = 0;
        ReadableCount = 0;
        ReadableBytes = 0;
        WritableCount = 0;
        WritableBytes = 0;
    }

    /// <summary>
    /// Appends one descriptor's buffer after the checks both ring layouts share: no zero length, no
    /// device-readable buffer after a device-writable one (spec 2.7.4.2, 2.8.4). The flags are the
    /// virtio descriptor flags; only WRITE is looked at.
    /// </summary>
    internal ChainError AppendDescriptor<TMem>(ref TMem memory, ulong iova, uint length, ushort flags)
        where TMem : struct, IGuestMemory
    {
        if (length == 0)
        {
            return ChainError.ZeroLength;
        }

        bool write = (flags & Interop.VirtioConstants.VRING_DESC_F_WRITE) != 0;
        if (WritableCount > 0 && !write)
        {
            return ChainError.ReadableAfterWritable;
        }

        return Append(ref memory, iova, length, write);
    }

    /// <summary>Appends [iova, iova+len) translated through <paramref name="memory"/>, split at region ends.</summary>
    internal unsafe ChainError Append<TMem>(ref TMem memory, ulong iova, uint length, bool write)
        where TMem : struct, IGuestMemory
    {
        IoSegment[] target = write ? Writable : Readable;
        int count = write ? WritableCount : ReadableCount;
        uint left = length;
        while (left > 0)
        {
            if (count == target.Length)
            {
                return ChainError.TooManySegments;
            }

            byte* host = memory.Translate(iova, left, write, out uint contiguous);
            if (host == null || contiguous == 0)
            {
                return ChainError.UnmappedAddress;
            }

            target[count++] = new IoSegment(host, contiguous);
            iova += contiguous;
            left -= contiguous;
        }

        if (write)
        {
            WritableCount = count;
            WritableBytes += length;
        }
        else
        {
            ReadableCount = count;
            ReadableBytes += length;
        }

        return ChainError.None;
    }
}
